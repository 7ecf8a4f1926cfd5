"""Character error rate of OCR text against ground truth."""

from __future__ import annotations

import unicodedata

from rapidfuzz.distance import Levenshtein


def canonical(text: str) -> str:
    """Compare characters only: NFKC (full-width to ASCII), no whitespace, 台 as 臺."""
    folded = unicodedata.normalize("NFKC", text).replace("台", "臺")
    return "".join(folded.split())


def cer(ocr: str, truth: str) -> tuple[int, int]:
    """(edit distance, truth length) so rates can be pooled over pages."""
    a, b = canonical(ocr), canonical(truth)
    return Levenshtein.distance(a, b), len(b)
