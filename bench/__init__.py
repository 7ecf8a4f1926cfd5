"""Benchmarks of the records pipeline: ``python -m bench.run [--quick]`` writes docs/benchmarks.md.

One module per measurement; each exposes ``run(ctx) -> dict`` and never asserts on
timings. Everything they generate (page images, PDFs, corpora, archives) goes under
``bench/out/``, which is git-ignored.
"""

from __future__ import annotations
