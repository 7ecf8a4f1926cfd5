"""Record types: typed documents (公文, gifts, repair tickets...) found through entry points.

``docs/record-types.md`` describes the interface and how to write a plugin. The built-in
types live in the modules of this package and are registered in ``pyproject.toml`` under
``[project.entry-points."records.record_types"]``, exactly like an outside plugin.
"""

from __future__ import annotations

from pipeline.record_types.apply import (
    THRESHOLD,
    TypeMatch,
    apply_record_type,
    choose_type,
    proposed_class,
    score_types,
    typed_fields,
)
from pipeline.record_types.base import (
    CONFIDENCE_KEY,
    CONFIDENTIALITY_LEVELS,
    PROPOSED_CLASS_KEY,
    Column,
    Export,
    PageText,
    Period,
    RecordType,
    Report,
    Word,
    full_text,
)
from pipeline.record_types.registry import (
    GROUP,
    RecordTypeError,
    Registry,
    discover,
    installed_types,
)

__all__ = [
    "CONFIDENCE_KEY",
    "CONFIDENTIALITY_LEVELS",
    "GROUP",
    "PROPOSED_CLASS_KEY",
    "THRESHOLD",
    "Column",
    "Export",
    "PageText",
    "Period",
    "RecordType",
    "RecordTypeError",
    "Registry",
    "Report",
    "TypeMatch",
    "Word",
    "apply_record_type",
    "choose_type",
    "discover",
    "full_text",
    "installed_types",
    "proposed_class",
    "score_types",
    "typed_fields",
]
