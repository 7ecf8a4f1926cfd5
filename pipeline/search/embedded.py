"""Embedded full-text index: SQLite FTS5 in the records database itself.

Page text is indexed as CJK bigrams (see ``pipeline.text``) with FTS5's
``unicode61`` tokenizer, so case folding and unspaced Chinese both work. A
page and its index row are written in one transaction. User queries never
reach FTS5's syntax: every term is rebuilt as a quoted phrase of tokens.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import Page
from pipeline.search.base import (
    FIELD_FACETS,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from pipeline.search.maintenance import RebuildReport
from pipeline.search.source import iter_live_ids
from pipeline.text import cjk_tokens, highlight, index_text, is_cjk, query_terms

FACET_COLUMNS = ("division", "class_code", "status", "record_type")


def match_expression(query: str) -> str:
    """An FTS5 MATCH string built only from quoted token phrases (no user syntax)."""
    phrases = []
    for term in query_terms(query):
        tokens = cjk_tokens(term)
        if len(tokens) == 1 and len(tokens[0]) == 1 and is_cjk(tokens[0]):
            phrases.append(f'"{tokens[0]}" *')  # one character: bigrams starting with it
        else:
            phrases.append('"' + " ".join(tokens) + '"')
    return " AND ".join(phrases)


def _where(filters: SearchFilters) -> tuple[str, dict[str, Any]]:
    levels = filters.visible_levels()
    clauses = ["page_fts MATCH :match", "d.status != 'disposed'"]
    params: dict[str, Any] = {f"lvl{i}": lvl for i, lvl in enumerate(levels)}
    clauses.append(
        "d.confidentiality IN (" + ", ".join(f":lvl{i}" for i in range(len(levels))) + ")"
    )
    for col in FACET_COLUMNS:
        value = getattr(filters, col)
        if value is not None:
            clauses.append(f"d.{col} = :{col}")
            params[col] = value
    if filters.date_from:
        clauses.append("d.document_date >= :date_from")
        params["date_from"] = filters.date_from
    if filters.date_to:
        clauses.append("d.document_date <= :date_to")
        params["date_to"] = filters.date_to
    for i, (key, value) in enumerate(sorted(filters.fields.items())):
        # the key only reaches SQL as a bound JSON path; SearchFilters checked its form
        clauses.append(f"CAST(json_extract(d.fields, :fpath{i}) AS TEXT) = :fval{i}")
        params[f"fpath{i}"] = f'$."{key}"'
        params[f"fval{i}"] = _sqlite_json_text(value)
    return " AND ".join(clauses), params


def _sqlite_json_text(value: str) -> str:
    """How SQLite's json_extract renders a value as text: JSON true/false become 1/0."""
    return {"true": "1", "false": "0"}.get(value.strip().lower(), value)


_FROM = (
    " FROM page_fts JOIN pages p ON p.id = page_fts.rowid JOIN documents d ON d.id = p.document_id"
)


class EmbeddedSearch:
    """The default backend: no server, same file as the records."""

    name = "embedded"

    def stage_document(self, session: Session, document_id: int) -> None:
        self.stage_removal(session, document_id)
        rows = session.execute(
            text("SELECT id, text FROM pages WHERE document_id = :d"), {"d": document_id}
        ).all()
        if rows:
            session.execute(
                text("INSERT INTO page_fts(rowid, tokens) VALUES (:id, :tokens)"),
                [{"id": r.id, "tokens": index_text(r.text)} for r in rows],
            )

    def stage_removal(self, session: Session, document_id: int) -> None:
        session.execute(
            text(
                "DELETE FROM page_fts WHERE rowid IN (SELECT id FROM pages WHERE document_id = :d)"
            ),
            {"d": document_id},
        )

    def flush(self) -> None:
        """Nothing to deliver: the index committed with the records."""

    def search(self, session: Session, query: SearchQuery) -> SearchResult:
        """Matching pages grouped per document: the best-ranked page gives the snippet."""
        match = match_expression(query.text)
        if not match:
            return SearchResult(0, [])
        where, params = _where(query.filters)
        params.update(match=match, limit=query.limit, offset=query.offset)
        matches = (
            # materialized: bm25() may not be used inside the aggregate below
            "WITH m AS MATERIALIZED (SELECT p.document_id AS doc, p.number AS num,"
            f" bm25(page_fts) AS rank{_FROM} WHERE {where})"
        )
        total = session.execute(
            text(f"{matches} SELECT count(DISTINCT doc) FROM m"), params
        ).scalar_one()
        order = (
            "best"
            if query.sort != "date"
            else "d.document_date IS NULL, d.document_date DESC, best"
        )
        # SQLite gives the bare column ``num`` of the row where min(rank) is found
        rows = session.execute(
            text(
                f"{matches} SELECT g.doc, g.num, g.best, g.nums, d.title, d.original_name,"
                " pg.text FROM (SELECT doc, num, min(rank) AS best, group_concat(num) AS nums"
                " FROM m GROUP BY doc) g JOIN documents d ON d.id = g.doc"
                " JOIN pages pg ON pg.document_id = g.doc AND pg.number = g.num"
                f" ORDER BY {order}, g.doc LIMIT :limit OFFSET :offset"
            ),
            params,
        ).all()
        terms = query_terms(query.text)
        hits = [
            SearchHit(
                r.doc,
                r.num,
                round(-float(r.best), 4),
                highlight(r.text, terms),
                r.title,
                r.original_name,
                tuple(sorted(int(n) for n in str(r.nums).split(","))),
            )
            for r in rows
        ]
        return SearchResult(int(total), hits, self._facets(session, where, params))

    def _facets(
        self, session: Session, where: str, params: dict[str, Any]
    ) -> dict[str, dict[str, int]]:
        facets: dict[str, dict[str, int]] = {}
        for col in FACET_COLUMNS:
            rows = session.execute(
                text(
                    f"SELECT d.{col} AS v, count(DISTINCT d.id) AS n{_FROM} WHERE {where}"
                    f" GROUP BY d.{col}"
                ),
                params,
            ).all()
            facets[col] = {str(r.v): int(r.n) for r in rows if r.v is not None}
        for i, key in enumerate(FIELD_FACETS):
            # the key is a constant; it reaches SQL only as a bound JSON path
            rows = session.execute(
                text(
                    f"SELECT json_extract(d.fields, :facet{i}) AS v, count(DISTINCT d.id) AS n"
                    f"{_FROM} WHERE {where} GROUP BY v"
                ),
                {**params, f"facet{i}": f'$."{key}"'},
            ).all()
            facets[key] = {str(r.v): int(r.n) for r in rows if r.v is not None}
        return facets

    def indexed_document_ids(self, session: Session) -> set[int]:
        rows = session.execute(
            text(
                "SELECT DISTINCT p.document_id FROM page_fts JOIN pages p ON p.id = page_fts.rowid"
            )
        ).all()
        return {int(r[0]) for r in rows}

    # -- maintenance: ``records index verify`` and ``records reindex`` ------------------------

    def indexed_page_counts(self, session: Session) -> dict[int, int]:
        rows = session.execute(
            text(
                "SELECT p.document_id, count(*) FROM page_fts JOIN pages p ON p.id = page_fts.rowid"
                " GROUP BY p.document_id"
            )
        ).all()
        return {int(r[0]): int(r[1]) for r in rows}

    def pending_count(self, session: Session) -> int:
        """Nothing waits: the index commits with the records."""
        return 0

    def sync(self, lock_wait: float = 60.0) -> int:
        """Nothing to deliver."""
        return 0

    def refresh(self) -> None:
        """Committed rows are visible at once."""

    def index_name(self) -> str:
        return "page_fts"

    def rebuild(
        self, sessions: sessionmaker[Session] | None = None, lock_wait: float = 60.0
    ) -> RebuildReport:
        """Rebuild every FTS row from the pages of live documents, in one transaction."""
        if sessions is None:
            raise ValueError("the embedded index is rebuilt through the archive's sessions")
        started = time.monotonic()
        with sessions.begin() as session:
            session.execute(text("DELETE FROM page_fts"))
            documents, pages = 0, 0
            for ids in iter_live_ids(session):
                documents += len(ids)
                pages += self._insert(session, ids)
        return RebuildReport(
            self.name, "page_fts", documents, pages, time.monotonic() - started, []
        )

    def _insert(self, session: Session, document_ids: list[int]) -> int:
        rows = session.execute(
            select(Page.id, Page.text).where(Page.document_id.in_(document_ids))
        ).all()
        if rows:
            session.execute(
                text("INSERT INTO page_fts(rowid, tokens) VALUES (:id, :tokens)"),
                [{"id": r.id, "tokens": index_text(r.text)} for r in rows],
            )
        return len(rows)
