"""Domain model and processing steps of the records pipeline.

Nothing in this package imports Prefect: every step can be called and tested
directly. The Prefect flows in ``flows/`` are thin wrappers over it.
"""

from __future__ import annotations

__version__ = "0.1.0"
