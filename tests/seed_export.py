"""Write the classifier's seed examples: ``pipeline/data/starter-seeds.jsonl``.

    .venv/bin/python -m tests.seed_export

The seeds are what a new archive's classifier starts from (:mod:`pipeline.starter`): the
real government texts of the development set ``../shared/corpus/real_texts`` with the
classes :mod:`tests.real_text_labels` maps them to (and the divisions its README says a
text could also be filed in), and the exact text of every ``sample_scans`` document with
its expected class (:data:`tests.classify_support.EXPECTED`). Run it again after the
mapping, the samples or the schedule's codes change, then rebuild the starter model
(``.venv/bin/python -m pipeline.starter``). The texts are public: see the file's
``source`` of each and docs/classification.md on their rights.
"""

from __future__ import annotations

import csv
import json
from typing import Any

from pipeline import starter
from pipeline.classify import schedule_of
from pipeline.settings import REPO_RULES_DIR
from tests import real_text_labels as rl
from tests.classify_support import EXPECTED, GROUND_TRUTH


def real_seeds() -> list[dict[str, Any]]:
    folder = rl.corpus_dir()
    if folder is None:
        raise SystemExit("../shared/corpus/real_texts is absent: nothing to export")
    schedule = schedule_of(REPO_RULES_DIR)
    with (folder / "LABELS.csv").open(encoding="utf-8") as fh:
        rows = {r["file"]: r for r in csv.DictReader(fh)}
    out = []
    for item in rl.load(schedule, folder):
        row = rows[item.name]
        divisions = [d for d in (item.target_division, item.alternative)
                     if d and d != rl.OUT]
        out.append({
            "name": item.name, "source": row["url"], "agency": row["agency"],
            "class": None if item.out_of_scope else item.training_label(schedule),
            "out_of_scope": item.out_of_scope,
            "accept": {"classes": list(item.classes), "divisions": divisions,
                       "none": rl.OUT in (item.target_division, item.alternative)},
            "text": item.text})
    return out


def sample_seeds() -> list[dict[str, Any]]:
    out = []
    for doc in GROUND_TRUTH:
        code = EXPECTED.get(doc["file"], (None, None))[1]
        if code is None:
            continue
        text = "\n".join(p["text"] for p in doc["pages"])
        out.append({"name": doc["file"], "source": "sample_scans (fictional)", "agency": "",
                    "class": code, "out_of_scope": False,
                    "accept": {"classes": [code], "divisions": [], "none": False},
                    "text": text})
    return out


def main() -> None:
    seeds = real_seeds() + sample_seeds()
    path = starter.SEED_PATH
    with path.open("w", encoding="utf-8") as fh:
        for seed in seeds:
            fh.write(json.dumps(seed, ensure_ascii=False) + "\n")
    print(f"{len(seeds)} seed examples written to {path}")


if __name__ == "__main__":
    main()
