"""Retention schedule (檔案保存年限區分表) and rule matching of documents to its classes."""

from __future__ import annotations

from pipeline.retention.matching import Evidence, EvidenceKind, RuleMatch, match_document
from pipeline.retention.schedule import (
    Keyword,
    MatchRules,
    RetentionClass,
    Schedule,
    Text,
    load_rules_dir,
    load_schedule,
)

__all__ = [
    "Evidence",
    "EvidenceKind",
    "Keyword",
    "MatchRules",
    "RetentionClass",
    "RuleMatch",
    "Schedule",
    "Text",
    "load_rules_dir",
    "load_schedule",
    "match_document",
]
