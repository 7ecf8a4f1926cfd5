"""Finding record types: Python entry points in the group ``records.record_types``.

Every type, built-in or not, is an entry point ``name = "module:Class"`` in that group; the
core imports no type module by name. A plugin that cannot be loaded, or that declares an
invalid type, raises ``RecordTypeError`` naming the entry point and its distribution: a
broken plugin stops the command with a clear message instead of silently classifying
fewer documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from typing import TypeVar

from pydantic import BaseModel

from pipeline.errors import ConfigError
from pipeline.record_types.base import (
    CONFIDENCE_KEY,
    CONFIDENTIALITY_LEVELS,
    PROPOSED_CLASS_KEY,
    Export,
    RecordType,
    Report,
    json_scalar_type,
)

GROUP = "records.record_types"
#: keys ``apply_record_type`` writes into ``Document.fields`` beside the type's own fields
RESERVED_FIELDS = frozenset({PROPOSED_CLASS_KEY, CONFIDENCE_KEY})
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_SCALAR_TYPES = {"string", "integer", "number", "boolean"}
_DATE_FORMATS = {"date", "date-time"}


class RecordTypeError(ConfigError):
    """A record-type plugin cannot be loaded or declares an invalid type."""


@dataclass(frozen=True)
class Registry:
    """The installed record types, by name, and where each came from."""

    types: tuple[RecordType, ...]
    #: type name -> "module:Class (distribution version)"
    sources: Mapping[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[RecordType]:
        return iter(self.types)

    def __len__(self) -> int:
        return len(self.types)

    def names(self) -> list[str]:
        return [t.name for t in self.types]

    def get(self, name: str) -> RecordType:
        for t in self.types:
            if t.name == name:
                return t
        raise ConfigError(f"no record type {name!r}; installed: {', '.join(self.names())}")

    def export(self, name: str) -> Export:
        """The export called ``name``, whichever type provides it."""
        return _one("export", name, [(t.name, e) for t in self.types for e in t.exports()])

    def report(self, name: str) -> Report:
        """The report called ``name``, whichever type provides it."""
        return _one("report", name, [(t.name, r) for t in self.types for r in t.reports()])

    def describe(self) -> list[dict[str, object]]:
        """What ``records types --json`` prints."""
        return [{**t.describe(), "source": self.sources.get(t.name)} for t in self.types]


_Offered = TypeVar("_Offered", Export, Report)


def _one(kind: str, name: str, offered: list[tuple[str, _Offered]]) -> _Offered:
    """The one ``kind`` called ``name``; two types offering the same name are refused."""
    matches = [(owner, item) for owner, item in offered if item.name == name]
    if not matches:
        names = ", ".join(sorted({item.name for _, item in offered})) or "-"
        raise ConfigError(f"no {kind} {name!r}; available: {names}")
    if len(matches) > 1:
        owners = ", ".join(owner for owner, _ in matches)
        raise RecordTypeError(f"the {kind} {name!r} is offered by several types: {owners}")
    return matches[0][1]


def discover(group: str = GROUP) -> Registry:
    """Load and check every entry point of ``group`` (sorted by name)."""
    found = _unique(sorted(entry_points(group=group), key=lambda ep: ep.name))
    return Registry(tuple(load_entry_point(ep) for ep in found),
                    {ep.name: _source(ep) for ep in found})


@lru_cache(maxsize=1)
def installed_types() -> Registry:
    """The types of this environment, loaded once per process (``cache_clear`` to reload)."""
    return discover()


def load_entry_point(ep: EntryPoint) -> RecordType:
    """Import one entry point, instantiate its type and check its declaration."""
    where = _describe(ep)
    try:
        obj = ep.load()
    except Exception as exc:  # any import-time failure of foreign code: re-raised with context
        raise RecordTypeError(f"record type plugin {where} cannot be loaded: "
                              f"{type(exc).__name__}: {exc}") from exc
    rtype = _instantiate(obj, where)
    check_type(rtype, where, ep.name)
    return rtype


def _source(ep: EntryPoint) -> str:
    return ep.value + (f" ({ep.dist.name} {ep.dist.version})" if ep.dist is not None else "")


def _describe(ep: EntryPoint) -> str:
    dist = f" from {ep.dist.name} {ep.dist.version}" if ep.dist is not None else ""
    return f"{ep.name!r} ({ep.value}{dist})"


def _instantiate(obj: object, where: str) -> RecordType:
    if isinstance(obj, RecordType):
        return obj
    if isinstance(obj, type) and issubclass(obj, RecordType):
        try:
            return obj()
        except Exception as exc:  # foreign constructor: reported with the plugin's name
            raise RecordTypeError(f"record type plugin {where} cannot be instantiated: "
                                  f"{type(exc).__name__}: {exc}") from exc
    raise RecordTypeError(f"record type plugin {where} is {obj!r}, not a RecordType subclass "
                          "or instance")


def check_type(rtype: RecordType, where: str, entry_name: str | None = None) -> None:
    """Refuse a type whose declaration the core cannot work with, saying what is wrong."""
    problems = list(_problems(rtype, entry_name))
    if problems:
        raise RecordTypeError(f"record type plugin {where} is invalid: " + "; ".join(problems))


def _problems(rtype: RecordType, entry_name: str | None) -> Iterator[str]:
    name = getattr(rtype, "name", None)
    if not isinstance(name, str) or not _NAME_RE.match(name):
        yield f"name {name!r} must match {_NAME_RE.pattern}"
    elif entry_name is not None and name != entry_name:
        yield f"name {name!r} differs from the entry-point name {entry_name!r}"
    labels = getattr(rtype, "labels", None)
    if not isinstance(labels, dict) or not {"zh-TW", "en"} <= set(labels):
        yield "labels must give at least 'zh-TW' and 'en'"
    if getattr(rtype, "confidentiality", None) not in CONFIDENTIALITY_LEVELS:
        yield f"confidentiality must be one of {', '.join(CONFIDENTIALITY_LEVELS)}"
    proposed = getattr(rtype, "proposed_class", None)
    if proposed is not None and not (isinstance(proposed, str) and proposed.isdigit()):
        yield f"proposed_class {proposed!r} must be a class code (digits) or None"
    yield from _field_problems(getattr(rtype, "Fields", None), getattr(rtype, "date_field", None))


def _field_problems(model: object, date_field: object) -> Iterator[str]:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        yield "Fields must be a pydantic BaseModel subclass"
        return
    props = model.model_json_schema().get("properties", {})
    for key, prop in props.items():
        kind, _ = json_scalar_type(prop)
        if kind not in _SCALAR_TYPES:
            yield f"field {key!r} is {kind}: fields must be scalars (flat JSON for the indexes)"
        if key in RESERVED_FIELDS:
            yield f"field {key!r} is reserved"
    if date_field is not None and (
        date_field not in props or json_scalar_type(props[date_field])[1] not in _DATE_FORMATS
    ):
        yield f"date_field {date_field!r} is not a date or datetime field"


def _unique(eps: Sequence[EntryPoint]) -> list[EntryPoint]:
    """One entry point per name; two different targets under one name are refused."""
    seen: dict[str, EntryPoint] = {}
    for ep in eps:
        if ep.name in seen and seen[ep.name].value != ep.value:
            raise RecordTypeError(f"two record types are named {ep.name!r}: "
                                  f"{seen[ep.name].value} and {ep.value}")
        seen.setdefault(ep.name, ep)
    return list(seen.values())
