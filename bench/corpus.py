"""A synthetic page corpus for search at scale: mixed Chinese and English, not OCR.

Words follow a Zipf distribution (exponent 1) over a vocabulary whose top ranks
are real words of the Secretariat's documents (檔案, 保存年限, procurement...) and
whose long tail is made of characters seen in ``sample_scans/``, so posting lists
look like a real archive's: a few terms on most pages, most terms on few. About
30% of pages carry an English passage; document numbers and ROC dates add the
many unique tokens an archive has. Documents have 1-8 pages and the metadata the
search filters use (division, class, record type, status, confidentiality, date).
The corpus is streamed to ``corpus.jsonl`` once (one document per line) and reused.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import ROOT

SEED = 115
VERSION = 2
CHUNK = 500  # documents per generator chunk
ZH_TAIL = 30_000
EN_TAIL = 8_000
LINE_CHARS = 34


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ZH_WORDS = _words(
    "檔案 保存 年限 銷毀 移轉 機關 辦理 公文 本府 秘書 處理 申請 核定 採購 契約 廠商 經費 "
    "預算 會議 紀錄 計畫 執行 審查 查照 說明 主旨 附件 業務 單位 人員 維修 設備 電梯 空調 "
    "消防 演練 安全 檢查 稽核 報告 節電 能源 宣導 活動 訓練 講習 受贈 財物 登記 禮品 匾額 "
    "報修 冷氣 電話 公告 徵求 評選 驗收 保固 履約 罰款 延長 期限 依據 規定 同意 陳核 擬辦 "
    "決行 會辦 副本 正本 臺南 市政 政府 永華 安平 民國 中華 文書 總務 庶務 專務 管理 志工 "
    "服務 車輛 保養 清潔 委外 保存年限 檔案管理 銷毀目錄 公文時效 採購案件 消防演練 節約能源 "
    "設備維修 會議紀錄 契約變更 電子簽核 受贈財物 臨時人員 考核成績 廳舍管理 機密檔案 "
    "姊妹城市 國際交流 預算執行 經費核銷"
)
EN_WORDS = _words(
    "the of and to records retention schedule archive archives file files document "
    "documents letter memo contract procurement audit report annual city government "
    "secretariat tainan office division review approval disposal transfer permanent value "
    "hold legal investigation budget maintenance elevator air conditioning fire safety "
    "drill energy saving electricity meeting minutes delegation sister exchange students "
    "lantern festival visit cooperation vendor tender bid award inspection acceptance "
    "warranty penalty extension deadline request form register gift plaque training "
    "volunteer vehicle cleaning outsourcing signature electronic digital scan scanned page "
    "pages index search certificate destruction tombstone"
)
PHRASES = ("records retention", "annual report", "fire safety drill", "sister city",
           "energy saving", "meeting minutes", "air conditioning", "legal hold")
DIVISIONS = ("專務科", "文書科", "總務科", "檔案科", "採購管理科", "辦公室管理科")
RECORD_TYPES = ("函", "簽", "公告", "契約", "表單", "會議紀錄")
CLASS_CODES = tuple(f"0{d}0{c}" for d in range(1, 10) for c in range(1, 6))
STATUSES = (("archived", 0.7), ("captured", 0.25), ("disposed", 0.05))
LEVELS = (("public", 0.3), ("internal", 0.65), ("confidential", 0.05))
EPOCH = date(2000, 1, 1)


@dataclass(frozen=True)
class Vocab:
    zh: tuple[str, ...]
    en: tuple[str, ...]
    zh_cdf: np.ndarray
    en_cdf: np.ndarray


def _zipf_cdf(n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1)
    cdf = np.cumsum(weights)
    return np.asarray(cdf / cdf[-1])


@cache
def sample_chars() -> str:
    """CJK characters of the sample batch, most frequent first."""
    truth = json.loads((ROOT / "sample_scans" / "ground_truth.json").read_text("utf-8"))
    counts: dict[str, int] = {}
    for entry in truth:
        for page in entry["pages"]:
            for ch in page["text"]:
                if "\u4e00" <= ch <= "\u9fff":
                    counts[ch] = counts.get(ch, 0) + 1
    return "".join(sorted(counts, key=lambda c: (-counts[c], c)))


@cache
def vocab() -> Vocab:
    rng = np.random.default_rng(SEED)
    chars = sample_chars()
    lengths = rng.choice([2, 2, 2, 3, 4], size=3 * ZH_TAIL)
    picks = rng.integers(0, len(chars), size=(3 * ZH_TAIL, 4))
    seen, tail = set(ZH_WORDS), []
    for n, row in zip(lengths.tolist(), picks.tolist(), strict=True):
        word = "".join(chars[i] for i in row[:n])
        if word not in seen:
            seen.add(word)
            tail.append(word)
            if len(tail) == ZH_TAIL:
                break
    en_tail = [_pseudo_word(rng) for _ in range(EN_TAIL)]
    zh, en = (*ZH_WORDS, *tail), (*EN_WORDS, *en_tail)
    return Vocab(zh, en, _zipf_cdf(len(zh)), _zipf_cdf(len(en)))


def _pseudo_word(rng: np.random.Generator) -> str:
    cons, vows = "bcdfghklmnprstvwz", "aeiou"
    n = int(rng.integers(2, 5))
    return "".join(cons[int(rng.integers(len(cons)))] + vows[int(rng.integers(len(vows)))]
                   for _ in range(n))


# -- pages and documents ------------------------------------------------------------------


class Generator:
    """Builds documents from one random stream (one generator per chunk of documents)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.v = vocab()

    def _draw(self, cdf: np.ndarray, n: int) -> list[int]:
        return list(np.searchsorted(cdf, self.rng.random(n)).tolist())

    def page(self) -> str:
        target = int(self.rng.integers(250, 650))
        words = [self.v.zh[i] for i in self._draw(self.v.zh_cdf, target // 2 + 8)]
        lengths = self.rng.integers(4, 13, len(words) // 4 + 1).tolist()
        marks = self.rng.random(len(lengths)).tolist()
        parts, size, pos = [], 0, 0
        for n, mark in zip(lengths, marks, strict=True):
            sentence = "".join(words[pos : pos + n]) + self._number(mark)
            parts.append(sentence + ("，" if mark < 0.6 else "。"))
            size, pos = size + len(parts[-1]), pos + n
            if size >= target or pos >= len(words):
                break
        if self.rng.random() < 0.3:
            parts.insert(int(self.rng.integers(len(parts) + 1)), self.en_passage())
        return _wrap("".join(parts))

    def _number(self, mark: float) -> str:
        """A date, document number or amount after one sentence in eight."""
        if mark >= 0.125:
            return ""
        r = int(self.rng.integers(0, 1_000_000))
        if mark < 0.05:
            return f"{88 + r % 26}年{1 + r % 12}月{1 + r % 28}日"
        if mark < 0.09:
            return f"府秘檔字第{1_120_000_000 + r * 17}號"
        return f"NT${r:,}"

    def en_passage(self) -> str:
        words = [self.v.en[i] for i in self._draw(self.v.en_cdf, int(self.rng.integers(8, 40)))]
        if self.rng.random() < 0.5:
            phrase = PHRASES[int(np.searchsorted(_PHRASE_CDF, self.rng.random()))]
            words.insert(int(self.rng.integers(len(words))), phrase)
        return " ".join(words).capitalize() + "."

    def document(self, doc_id: int) -> dict[str, Any]:
        pages = int(min(8, self.rng.geometric(0.3)))
        day = EPOCH + timedelta(days=int(self.rng.integers(0, 9131)))
        return {
            "id": doc_id,
            "division": DIVISIONS[int(self.rng.integers(len(DIVISIONS)))],
            "record_type": RECORD_TYPES[int(self.rng.integers(len(RECORD_TYPES)))],
            "class_code": CLASS_CODES[int(self.rng.integers(len(CLASS_CODES)))],
            "status": self._pick(STATUSES),
            "confidentiality": self._pick(LEVELS),
            "document_date": day.isoformat(),
            "pages": [self.page() for _ in range(pages)],
        }

    def _pick(self, options: tuple[tuple[str, float], ...]) -> str:
        r, acc = self.rng.random(), 0.0
        for value, p in options:
            acc += p
            if r < acc:
                return value
        return options[-1][0]


_PHRASE_CDF = _zipf_cdf(len(PHRASES))


def chunk(index: int) -> list[dict[str, Any]]:
    """Documents ``index * CHUNK + 1`` .. ``(index + 1) * CHUNK``: same on every machine."""
    gen = Generator(np.random.default_rng([SEED, index]))
    return [gen.document(index * CHUNK + i + 1) for i in range(CHUNK)]


def _wrap(text: str) -> str:
    return "\n".join(text[i : i + LINE_CHARS] for i in range(0, len(text), LINE_CHARS))


def documents(pages: int, workers: int = 1) -> Iterator[dict[str, Any]]:
    """Documents until ``pages`` pages (the last one cut short to hit the count exactly)."""
    total = 0
    for docs in _chunks(workers if pages > 5 * CHUNK else 1):
        for doc in docs:
            doc["pages"] = doc["pages"][: pages - total]
            total += len(doc["pages"])
            yield doc
            if total >= pages:
                return


def _chunks(workers: int) -> Iterator[list[dict[str, Any]]]:
    """Chunks 0, 1, 2... in order, ``2 * workers`` of them in the making at a time."""
    if workers <= 1:
        yield from map(chunk, itertools.count())
        return
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        ahead = 2 * workers
        pending = deque(pool.submit(chunk, i) for i in range(ahead))
        for i in itertools.count(ahead):
            done = pending.popleft()
            pending.append(pool.submit(chunk, i))
            yield done.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def cached(folder: Path, pages: int, workers: int = 1) -> Path:
    """``corpus.jsonl`` with at least ``pages`` pages, written once (streamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    target, meta = folder / "corpus.jsonl", folder / "corpus.json"
    have = json.loads(meta.read_text()) if meta.exists() else {}
    if have.get("version") == VERSION and have.get("pages", 0) >= pages and target.exists():
        return target
    partial = target.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as fh:
        for doc in documents(pages, workers):
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    partial.replace(target)
    meta.write_text(json.dumps({"version": VERSION, "pages": pages, "seed": SEED}))
    return target


def read(path: Path, pages: int, skip: int = 0) -> Iterator[dict[str, Any]]:
    """Documents of the cached corpus holding pages ``skip`` .. ``pages`` (cut to fit)."""
    seen = 0
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if seen >= pages:
                return
            doc = json.loads(line)
            n = len(doc["pages"])
            lo, hi = max(0, skip - seen), min(n, pages - seen)
            seen += n
            if lo < hi:
                doc["first_page"] = lo + 1
                doc["pages"] = doc["pages"][lo:hi]
                yield doc
