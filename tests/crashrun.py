"""A batch ingest in a child process that a test can kill: ``python -m tests.crashrun``.

``python -m tests.crashrun HOME SRC [--die-at POINT] [--die-after N]`` runs ``run_direct``
on SRC into the archive at HOME and prints the summary as JSON. With ``--die-at`` the
process SIGKILLs itself the N-th time it reaches one of the points below, which random
timing would rarely hit:

- ``original-linked``: an original was linked into the store, its files row not written
- ``archival-linked``: an archival copy was linked, the record not committed
- ``in-commit``: inside the record's transaction (document and pages added, not committed)
- ``committed``: the record committed, the index not flushed, the batch not finished
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from pipeline import enrich as enrich_module
from pipeline import finalize, store
from pipeline.archive import Archive
from pipeline.batch import page_options, run_direct
from pipeline.intake import discover
from pipeline.settings import Settings

POINTS = ("original-linked", "archival-linked", "in-commit", "committed")


class Tripwire:
    """Kills this process the ``after``-th time ``hit`` is called."""

    def __init__(self, after: int) -> None:
        self.left = after

    def hit(self) -> None:
        self.left -= 1
        if self.left <= 0:
            os.kill(os.getpid(), signal.SIGKILL)


def _arm_link(wire: Tripwire, kind: str) -> None:
    original = store.ContentStore._link_into_place

    def link(self: store.ContentStore, tmp: Path, k: str, sha: str, size: int) -> store.Blob:
        blob = original(self, tmp, k, sha, size)
        if k == kind:
            wire.hit()
        return blob

    store.ContentStore._link_into_place = link  # type: ignore[method-assign,assignment]


def _arm_commit(wire: Tripwire) -> None:
    enrich = enrich_module.enrich

    def dying_enrich(*args: Any) -> None:
        enrich(*args)
        wire.hit()

    finalize.enrich = dying_enrich  # type: ignore[attr-defined,assignment]


def _arm_committed(wire: Tripwire) -> None:
    commit = finalize._commit

    def commit_then_die(*args: Any) -> int:
        doc_id = commit(*args)
        wire.hit()
        return doc_id

    finalize._commit = commit_then_die  # type: ignore[assignment]


def arm(point: str, after: int) -> None:
    wire = Tripwire(after)
    if point == "original-linked":
        _arm_link(wire, "original")
    elif point == "archival-linked":
        _arm_link(wire, "archival")
    elif point == "in-commit":
        _arm_commit(wire)
    elif point == "committed":
        _arm_committed(wire)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("home", type=Path)
    parser.add_argument("src", type=Path)
    parser.add_argument("--die-at", choices=POINTS)
    parser.add_argument("--die-after", type=int, default=1)
    args = parser.parse_args(argv)
    if args.die_at:
        arm(args.die_at, args.die_after)
    settings = Settings(home=args.home, workers=2, database_url="", search_url="")
    archive = Archive.open(settings)
    try:
        opts = page_options(archive, None, False)
        summary = run_direct(archive, discover([args.src]), [str(args.src)], opts, None)
    finally:
        archive.close()
    print(json.dumps(summary.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
