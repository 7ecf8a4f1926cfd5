"""The retention schedule (檔案保存年限區分表) as validated data.

A schedule file is YAML (format: ``retention_rules/README.md``, JSON Schema:
``retention_rules/schema.json``). Loading is strict: unknown keys, wrong types, retention
terms outside the legal set, broken hierarchies and regexes that do not compile are all
refused with a :class:`~pipeline.errors.RulesError` naming the file, line and field.

Codes: two digits per level, 類 ``01`` > 綱 ``0101`` > 目 ``010101`` > 節 ``01010101`` >
項 ``0101010101``; a class's parent is its code minus the last two digits; ``99`` is
"other" (其他) at any level. Leaf classes carry retention and match rules; classes with
children are headings only (nothing is inherited: what applies to a file is written on
its class).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, TypeAlias

import regex
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pipeline.dates import fiscal_year_end, parse_date, retention_due
from pipeline.errors import ConfigError, RulesError
from pipeline.settings import REPO_RULES_DIR

SCHEMA_PATH = REPO_RULES_DIR / "schema.json"
#: fixed terms allowed by 機關檔案保存年限及銷毀辦法 art. 4 without further approval
STANDARD_TERMS = (1, 3, 5, 10, 15, 20, 25, 30)
LEVELS = ("類", "綱", "目", "節", "項")
#: national-archive files are transferred the year after they reach this age
PERMANENT_TRANSFER_YEARS = 25
#: a real schedule has a few thousand YAML values; aliases may not multiply that without end
MAX_YAML_NODES = 200_000

Level: TypeAlias = Literal["類", "綱", "目", "節", "項"]
Disposition: TypeAlias = Literal["national_archive", "agency_permanent", "appraise", "destroy"]
#: the levels of pipeline.search.base.CLEARANCE_LEVELS (restricted 密, confidential 機密,
#: secret 極機密, top_secret 絕對機密)
Confidentiality: TypeAlias = Literal["public", "internal", "restricted", "confidential", "secret",
                                     "top_secret"]
Retention: TypeAlias = int | Literal["permanent"]
Loc: TypeAlias = tuple[str | int, ...]

_PERMANENT_DISPOSITIONS = ("national_archive", "agency_permanent")
_TRIGGER = regex.compile(r"latest_document|fiscal_year_end|event:[a-z][a-z0-9_]*")


class ScheduleStructureError(ConfigError):
    """A rule spanning several classes is broken; ``loc`` points into the document.

    Raised from the model validator (pydantic passes non-ValueError exceptions through),
    so the loader can map ``loc`` to a line like any field error.
    """

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(f"{_dotted(loc)}: {message}")
        self.loc, self.message = loc, message


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(document)"


def _compiles(pattern: str) -> str:
    try:
        regex.compile(pattern)
    except regex.error as exc:
        raise ValueError(f"regex does not compile: {exc}") from exc
    return pattern


def _keyword_shorthand(value: object) -> object:
    return {"word": value} if isinstance(value, str) else value


def _date_or_roc(value: object) -> object:
    """Accept a quoted date in any form of :func:`pipeline.dates.parse_date` (e.g. ROC)."""
    if not isinstance(value, str):
        return value
    try:
        return parse_date(value)
    except ConfigError as exc:
        raise ValueError(str(exc)) from exc


def _quoted_code(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError('codes must be quoted strings: write "01" (YAML reads 01 as the number 1)')
    return value


Pattern = Annotated[str, AfterValidator(_compiles)]
Code = Annotated[str, BeforeValidator(_quoted_code), Field(pattern=r"^(\d\d){1,5}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Text(_Strict):
    """A name in Traditional Chinese and English."""

    zh_tw: str = Field(alias="zh-TW", min_length=1)
    en: str = Field(min_length=1)


class Keyword(_Strict):
    """A keyword; a plain string in the file means weight 1."""

    word: str = Field(pattern=r"\S", description="matched literally; OCR spaces are tolerated")
    weight: float = Field(default=1.0, gt=0, le=10)


KeywordItem = Annotated[
    Keyword, BeforeValidator(_keyword_shorthand, json_schema_input_type=str | Keyword)
]


class MatchRules(_Strict):
    """How documents are recognised as belonging to a class (see ``matching.py``)."""

    keywords: list[KeywordItem] = []
    regex: list[Pattern] = []
    #: issuing agencies; matches when the document's sender contains one of them
    senders: list[Annotated[str, Field(min_length=1)]] = []
    #: regexes for the document number (文號), e.g. ``府秘文字第\\d+號``
    doc_number_patterns: list[Pattern] = []

    @model_validator(mode="after")
    def _not_empty(self) -> MatchRules:
        if not (self.keywords or self.regex or self.senders or self.doc_number_patterns):
            raise ValueError("match needs a keyword, regex, sender or doc_number_pattern")
        return self


class Citation(_Strict):
    """Where a class's term comes from: a published reference and its item, if it has one."""

    reference: str = Field(
        min_length=1, description="the law, standard or published schedule, e.g. 會計法"
    )
    item: str | None = Field(
        default=None, min_length=1, description="article or item number, e.g. 第84條第1項"
    )

    def __str__(self) -> str:
        return self.reference + (self.item or "")


def _legal_basis_from_citations(data: object) -> object:
    """Schema 2 writes ``basis``; ``legal_basis`` (shown to users) is derived when absent."""
    if not isinstance(data, dict) or data.get("legal_basis") is not None:
        return data
    basis = data.get("basis")
    if not isinstance(basis, list) or not basis:
        return data
    parts = [f"{c.get('reference', '')}{c.get('item') or ''}" for c in basis if isinstance(c, dict)]
    if len(parts) != len(basis) or not all(isinstance(p, str) and p for p in parts):
        return data  # malformed: the field validators report it
    return {**data, "legal_basis": "；".join(parts)}


class RetentionClass(_Strict):
    """One class of the schedule: a heading, or a leaf that files are filed under."""

    code: Code = Field(description="2 digits per level: 01 類, 0101 綱, 010101 目 ...")
    level: Level
    parent: Code | None = Field(default=None, description="the code minus its last 2 digits")
    title: Text
    #: 內容描述: what the class covers, in words (evidence for the classifier, like the title)
    scope: Text | None = None
    division: str | None = Field(default=None, description="a key of the header's divisions")
    # declared before retention: its validator reads the basis
    retention_basis: str | None = Field(
        default=None, min_length=1, description="law or approval allowing a term over 30 years"
    )
    retention: Retention | None = Field(
        default=None, description="'permanent' or 1, 3, 5, 10, 15, 20, 25, 30 years"
    )
    trigger: str | None = Field(
        default=None, description="latest_document | fiscal_year_end | event:<name>"
    )
    disposition: Disposition | None = None
    confidentiality: Confidentiality | None = None
    legal_basis: str | None = Field(default=None, min_length=1)
    #: the published references the term is taken from (required on leaves from schema 2)
    basis: list[Citation] | None = Field(default=None, min_length=1)
    accounting_record: bool = Field(
        default=False, description="destruction needs the audit authority's consent"
    )
    match: MatchRules | None = None

    @model_validator(mode="before")
    @classmethod
    def _derive_legal_basis(cls, data: object) -> object:
        return _legal_basis_from_citations(data)

    @field_validator("level")
    @classmethod
    def _level_fits_code(cls, level: str, info: ValidationInfo) -> str:
        code = info.data.get("code")
        if code is not None and len(code) != 2 * (LEVELS.index(level) + 1):
            expected = LEVELS[len(code) // 2 - 1]
            raise ValueError(f"a {len(code)}-digit code is a {expected}, not a {level}")
        return level

    @field_validator("parent")
    @classmethod
    def _parent_is_prefix(cls, parent: str | None, info: ValidationInfo) -> str | None:
        code = info.data.get("code")
        if code is None:
            return parent
        if len(code) == 2 and parent is not None:
            raise ValueError("a 類 (2-digit code) has no parent")
        if len(code) > 2 and parent != code[:-2]:
            raise ValueError(f"the parent of {code} must be {code[:-2]!r}, got {parent!r}")
        return parent

    @field_validator("retention", mode="before")
    @classmethod
    def _legal_term(cls, value: object, info: ValidationInfo) -> object:
        if value is None or value == "permanent":
            return value
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"retention must be 'permanent' or a number of years, got {value!r}")
        if value > 30 and info.data.get("retention_basis"):
            return value
        if value not in STANDARD_TERMS:
            allowed = ", ".join(map(str, STANDARD_TERMS))
            hint = " (over 30 years needs a retention_basis)" if value > 30 else ""
            raise ValueError(f"{value} years is not a legal term; use {allowed}{hint}")
        return value

    @field_validator("trigger")
    @classmethod
    def _known_trigger(cls, trigger: str | None) -> str | None:
        if trigger is not None and not _TRIGGER.fullmatch(trigger):
            raise ValueError(
                f"trigger must be latest_document, fiscal_year_end or event:<name>, got {trigger!r}"
            )
        return trigger

    @field_validator("disposition")
    @classmethod
    def _disposition_fits_term(cls, disposition: str | None, info: ValidationInfo) -> str | None:
        retention = info.data.get("retention")
        if disposition is None or retention is None:
            return disposition
        if (retention == "permanent") != (disposition in _PERMANENT_DISPOSITIONS):
            raise ValueError(
                "permanent classes are national_archive or agency_permanent; "
                f"fixed terms are appraise or destroy (retention {retention!r})"
            )
        return disposition

    @property
    def is_permanent(self) -> bool:
        return self.retention == "permanent"

    def trigger_date(
        self,
        latest_document: date,
        events: Mapping[str, date] | None = None,
        *,
        fiscal_year_end_month: int = 12,
    ) -> date | None:
        """The date retention counts from; None while the trigger event has not happened."""
        if self.trigger is None or self.trigger == "latest_document":
            return latest_document
        if self.trigger == "fiscal_year_end":
            return fiscal_year_end(latest_document, fiscal_year_end_month)
        return (events or {}).get(self.trigger.removeprefix("event:"))

    def due_date(
        self,
        latest_document: date,
        events: Mapping[str, date] | None = None,
        *,
        fiscal_year_end_month: int = 12,
    ) -> date | None:
        """First day the fixed term is over (:func:`pipeline.dates.retention_due`).

        None for a permanent class (it never falls due for disposal: see
        :meth:`transfer_year`), for a heading, and while the trigger event is unknown.
        """
        if not isinstance(self.retention, int):
            return None
        start = self.trigger_date(
            latest_document, events, fiscal_year_end_month=fiscal_year_end_month
        )
        return None if start is None else retention_due(start, self.retention)

    def transfer_year(self, latest_document: date) -> int | None:
        """Year a national-archive file is transferred: the year after it reaches 25 years
        from its latest document. None for every other disposition."""
        if self.disposition != "national_archive":
            return None
        last_day = retention_due(latest_document, PERMANENT_TRANSFER_YEARS) - timedelta(days=1)
        return last_day.year + 1


_LEAF_FIELDS = (
    "retention", "trigger", "disposition", "confidentiality", "basis", "legal_basis", "match"
)
_LEAF_REQUIRED = (
    "division",
    "retention",
    "trigger",
    "disposition",
    "confidentiality",
    "legal_basis",
)


class Schedule(_Strict):
    """A whole retention schedule: header plus classes."""

    #: 2 requires ``basis`` (citations) on every leaf; 1 is the format of the first schedule
    schema_version: Literal[1, 2]
    schedule_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: int = Field(ge=1)
    agency: Text
    effective_date: Annotated[date, BeforeValidator(_date_or_roc)]
    #: the approval reference (核定文號) of the archives authority
    approved_by: str = Field(min_length=1)
    divisions: dict[Annotated[str, Field(pattern=r"^[a-z][a-z_]*$")], Text] = Field(min_length=1)
    classes: list[RetentionClass] = Field(min_length=1)

    _by_code: dict[str, RetentionClass] = PrivateAttr(default_factory=dict)
    _children: dict[str, list[str]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check_tree(self) -> Schedule:
        self._index()
        for i, cls in enumerate(self.classes):
            self._check_class(i, cls)
        return self

    def _index(self) -> None:
        for i, cls in enumerate(self.classes):
            if cls.code in self._by_code:
                raise ScheduleStructureError(("classes", i, "code"), f"duplicate code {cls.code}")
            self._by_code[cls.code] = cls
            self._children[cls.code] = []
        for i, cls in enumerate(self.classes):
            if cls.parent is not None and cls.parent not in self._by_code:
                raise ScheduleStructureError(
                    ("classes", i, "parent"), f"parent {cls.parent} is not defined"
                )
            if cls.parent is not None:
                self._children[cls.parent].append(cls.code)

    def _check_class(self, i: int, cls: RetentionClass) -> None:
        if cls.division is not None and cls.division not in self.divisions:
            known = ", ".join(self.divisions)
            raise ScheduleStructureError(
                ("classes", i, "division"), f"unknown division {cls.division!r}; known: {known}"
            )
        if self._children[cls.code]:
            _check_heading(i, cls)
        else:
            if self.schema_version >= 2 and cls.basis is None:
                raise ScheduleStructureError(
                    ("classes", i, "basis"),
                    f"leaf class {cls.code} needs basis: the reference its term comes from",
                )
            _check_leaf(i, cls)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> RetentionClass:
        """The class with this code; KeyError if the schedule has none."""
        cls = self._by_code.get(code)
        if cls is None:
            raise KeyError(f"no class {code!r} in schedule {self.schedule_id} v{self.version}")
        return cls

    def is_leaf(self, code: str) -> bool:
        return not self._children[self.get(code).code]

    def leaf_classes(self) -> list[RetentionClass]:
        """Classes files can be filed under, in schedule order."""
        return [c for c in self.classes if not self._children[c.code]]

    def children(self, code: str) -> list[RetentionClass]:
        return [self._by_code[c] for c in self._children[self.get(code).code]]

    def ancestors(self, code: str) -> list[RetentionClass]:
        """The path from the 類 down to (excluding) ``code``, for breadcrumbs."""
        cls = self.get(code)
        return [self._by_code[cls.code[:n]] for n in range(2, len(cls.code), 2)]

    def in_division(self, division: str) -> list[RetentionClass]:
        return [c for c in self.leaf_classes() if c.division == division]

    def retention_of(self, code: str) -> Retention:
        """Years (int) or ``"permanent"``; ValueError for a heading (no files go there)."""
        cls = self.get(code)
        if cls.retention is None:
            raise ValueError(f"{code} is a heading of schedule {self.schedule_id}: no retention")
        return cls.retention


def _check_heading(i: int, cls: RetentionClass) -> None:
    for name in _LEAF_FIELDS:
        if getattr(cls, name) is not None:
            raise ScheduleStructureError(
                ("classes", i, name),
                f"{cls.code} has sub-classes, so it is a heading: only leaf classes carry {name}",
            )


def _check_leaf(i: int, cls: RetentionClass) -> None:
    for name in _LEAF_REQUIRED:
        if getattr(cls, name) is None:
            raise ScheduleStructureError(
                ("classes", i, name), f"leaf class {cls.code} needs {name}"
            )


def load_schedule(path: Path | str) -> Schedule:
    """Load and validate one schedule file; RulesError (file, line, field) if it is bad."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(str(path), None, "(file)", f"cannot read: {exc}") from exc
    root, data = _parse_yaml(path, text)
    try:
        return Schedule.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        message = first["msg"].removeprefix("Value error, ") + more
        raise _rules_error(path, root, first["loc"], message) from exc
    except ScheduleStructureError as exc:
        raise _rules_error(path, root, exc.loc, exc.message) from exc


_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_yaml(path: Path, text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the plain data of a YAML document.

    libyaml's loader when PyYAML has it: the same safe nodes and marks, and the two
    schedules parse in 0.1 s instead of 0.6 s, which every ingest and command paid."""
    try:
        loader = _LOADER(text)
    except yaml.YAMLError as exc:  # a control character: the reader refuses the text
        raise RulesError(str(path), None, "(yaml syntax)", str(exc)) from exc
    try:
        root = loader.get_single_node()
        if root is not None:
            _expanded_size(path, root, {}, set())
            _refuse_duplicate_keys(path, root, (), set())
        return root, (loader.construct_document(root) if root is not None else None)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise RulesError(str(path), line, "(yaml syntax)", str(exc.problem or exc)) from exc
    except yaml.YAMLError as exc:
        raise RulesError(str(path), None, "(yaml syntax)", str(exc)) from exc
    except RecursionError as exc:
        raise RulesError(str(path), None, "(yaml syntax)", "nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise RulesError(str(path), None, "(yaml syntax)", str(exc)) from exc
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _expanded_size(path: Path, node: yaml.Node, memo: dict[int, int], open_: set[int]) -> int:
    """Nodes the document expands to, aliases counted each time: refuses alias bombs."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in open_:
        raise RulesError(str(path), node.start_mark.line + 1, "(yaml)", "recursive alias")
    open_.add(key)
    size = 1 + sum(_expanded_size(path, child, memo, open_) for child in _children(node))
    open_.discard(key)
    if size > MAX_YAML_NODES:
        raise RulesError(str(path), node.start_mark.line + 1, "(yaml)",
                         f"expands to more than {MAX_YAML_NODES} values (an alias bomb?)")
    memo[key] = size
    return size


def _refuse_duplicate_keys(path: Path, node: yaml.Node, loc: Loc, done: set[int]) -> None:
    """PyYAML keeps the last of two equal keys silently; a rules file must not."""
    if id(node) in done:  # an alias of a node checked already
        return
    done.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _refuse_duplicate_keys(path, item, (*loc, i), done)
    if not isinstance(node, yaml.MappingNode):
        return
    seen: set[str] = set()
    for key, value in node.value:
        name = str(key.value)
        if name in seen:
            line = key.start_mark.line + 1
            raise RulesError(str(path), line, _dotted((*loc, name)), "duplicate key")
        seen.add(name)
        _refuse_duplicate_keys(path, value, (*loc, name), done)


def _rules_error(path: Path, root: yaml.Node | None, loc: Loc, message: str) -> RulesError:
    line, resolved = _locate(root, loc)
    code = _class_code(root, loc)
    prefix = f"class {code}: " if code else ""
    return RulesError(str(path), line, _dotted(resolved), prefix + message)


def _locate(root: yaml.Node | None, loc: Loc) -> tuple[int | None, Loc]:
    """Line of the deepest node of ``loc`` present in the file, and that part of ``loc``.

    A key missing from a mapping (a required field) is kept in the path and reported at
    the mapping's line; pydantic's internal parts (union branches) are dropped.
    """
    node, line = root, (root.start_mark.line + 1 if root else None)
    resolved: Loc = ()
    for part in loc:
        step = _child(node, part)
        if step is None:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                resolved = (*resolved, part)
            break
        marker, node = step
        line, resolved = marker.start_mark.line + 1, (*resolved, part)
    return line, resolved


def _child(node: yaml.Node | None, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(node whose line to report, child node) for one step of a location."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item, item
    return None


def _class_code(root: yaml.Node | None, loc: Loc) -> str | None:
    if len(loc) < 2 or loc[0] != "classes":
        return None
    step = _child(root, "classes")
    item = _child(step[1], loc[1]) if step else None
    code = _child(item[1], "code") if item else None
    return str(code[1].value) if code and isinstance(code[1], yaml.ScalarNode) else None


def load_rules_dir(
    directory: Path | str, *, schedule_id: str | None = None, as_of: date | None = None
) -> Schedule:
    """The schedule in force from a rules directory (every ``*.yaml``/``*.yml`` file).

    The newest version wins; with ``as_of``, the newest whose effective date is not later.
    Two files claiming the same schedule_id and version are refused, and so is a directory
    holding several schedule ids unless ``schedule_id`` picks one.
    """
    loaded = _load_all(Path(directory))
    check_revisions(loaded)
    ids = sorted({s.schedule_id for s in loaded.values()})
    wanted = schedule_id or (ids[0] if len(ids) == 1 else None)
    if wanted is None:
        raise ConfigError(f"{directory}: several schedules ({', '.join(ids)}); choose one")
    candidates = [
        s
        for s in loaded.values()
        if s.schedule_id == wanted and (as_of is None or s.effective_date <= as_of)
    ]
    if not candidates:
        when = f" in force on {as_of.isoformat()}" if as_of else ""
        raise ConfigError(f"{directory}: no schedule {wanted!r}{when}")
    return max(candidates, key=lambda s: s.version)


def _load_all(directory: Path) -> dict[Path, Schedule]:
    if not directory.is_dir():
        raise ConfigError(f"rules directory {directory} does not exist")
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        raise ConfigError(f"rules directory {directory} holds no *.yaml schedule")
    loaded: dict[Path, Schedule] = {}
    claimed: dict[tuple[str, int], Path] = {}
    for path in files:
        schedule = load_schedule(path)
        key = (schedule.schedule_id, schedule.version)
        if key in claimed:
            message = f"{key[0]} version {key[1]} is also defined in {claimed[key]}"
            raise RulesError(str(path), None, "version", message)
        claimed[key] = path
        loaded[path] = schedule
    return loaded


def _term_rank(retention: Retention | None) -> float:
    return float("inf") if retention == "permanent" else float(retention or 0)


def check_revisions(loaded: Mapping[Path, Schedule]) -> None:
    """Refuse a revision that would shorten the retention of files already filed.

    Files keep their class code and take their term from the schedule in force, so each
    version of a schedule must keep every leaf class of the previous one as a leaf, with a
    term at least as long, and take effect later. A shorter term for new files needs a new
    class code; a single file's term changes only through appraisal (鑑定).
    """
    by_id: dict[str, list[tuple[Path, Schedule]]] = {}
    for path, schedule in loaded.items():
        by_id.setdefault(schedule.schedule_id, []).append((path, schedule))
    for versions in by_id.values():
        versions.sort(key=lambda pair: pair[1].version)
        for (_, old), (path, new) in pairwise(versions):
            _check_revision(old, path, new)


def _check_revision(old: Schedule, path: Path, new: Schedule) -> None:
    if new.effective_date <= old.effective_date:
        raise RulesError(str(path), None, "effective_date",
                         f"version {new.version} must take effect after version {old.version} "
                         f"({old.effective_date.isoformat()})")
    lines = path.read_text(encoding="utf-8").splitlines()
    for cls in old.leaf_classes():
        line = next((n for n, text in enumerate(lines, 1) if f'"{cls.code}"' in text
                     and "code:" in text), None)
        where = f"class {cls.code} (version {old.version}: {cls.retention})"
        if cls.code not in new:
            raise RulesError(str(path), None, "classes",
                             f"{where} is missing: files filed under it would lose their term")
        if not new.is_leaf(cls.code):
            raise RulesError(str(path), line, "classes",
                             f"{where} became a heading: files filed under it need a leaf")
        if _term_rank(new.get(cls.code).retention) < _term_rank(cls.retention):
            raise RulesError(str(path), line, "retention",
                             f"{where} is shortened to {new.get(cls.code).retention}: a shorter "
                             "term for new files needs a new class code; files already filed "
                             "keep theirs (change one file's term by appraisal)")


def schedule_json_schema() -> dict[str, Any]:
    """JSON Schema of the file format (cross-class rules are checked by the loader only)."""
    schema = Schedule.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render_json_schema() -> str:
    return json.dumps(schedule_json_schema(), ensure_ascii=False, indent=2) + "\n"


def write_json_schema(path: Path = SCHEMA_PATH) -> None:
    """Regenerate ``retention_rules/schema.json`` after a change of the models."""
    path.write_text(render_json_schema(), encoding="utf-8")
