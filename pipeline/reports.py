"""Printed matter of the lifecycle: the destruction list (銷毀目錄) and destruction certificates.

The list carries, per file, the fields the destruction regulations ask for: year, class
and case numbers, volumes, case title, creating unit, date range, retention period and
any change with its reason, and a summary; once approved, the archives authority's
letter number. It is written as CSV (UTF-8 with BOM, so spreadsheet programs read the
Chinese) and as a printable HTML page (A4 landscape). Dates are in the ROC calendar.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import disposal, filing
from pipeline.dates import to_roc_short
from pipeline.db.models import DisposalItem, RecordFile, RetentionChange
from pipeline.retention.schedule import Schedule

LIST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("item", "項次 item"),
    ("file_number", "檔號 file number"),
    ("year", "年度號 year"),
    ("class_code", "分類號 class"),
    ("class_title", "類目名稱 class title"),
    ("case_no", "案次號 case"),
    ("volumes", "卷數 volumes"),
    ("title", "案名 case title"),
    ("division", "建檔單位 creating unit"),
    ("date_range", "檔案起迄日期 date range"),
    ("retention", "保存年限 retention"),
    ("retention_changes", "保存年限變更及理由 retention changes"),
    ("summary", "摘要 summary"),
    ("division_opinion", "業務單位意見 division opinion"),
    ("authority_ref", "核准文號 approval letter"),
    ("status", "狀態 status"),
)


def roc(d: date | None) -> str:
    return to_roc_short(d) if d else ""


def _retention_text(value: str | None) -> str:
    if value is None:
        return ""
    return "永久 permanent" if value == "permanent" else f"{value}年"


def retention_changes(session: Session, file: RecordFile) -> str:
    rows = session.scalars(select(RetentionChange).where(RetentionChange.file_id == file.id)
                           .order_by(RetentionChange.id))
    return "；".join(f"延長{r.years}年（{r.reason}）" for r in rows)


def _opinion(session: Session, item: DisposalItem) -> str:
    parts = [f"{c.division or c.author}：{c.text}" for c in disposal.comments(session, item)]
    parts += [f"{r.division or r.requested_by} 請求延長{r.years}年：{r.reason}（{r.status}）"
              for r in disposal.extensions(session, item)]
    return "；".join(parts)


def list_row(session: Session, schedule: Schedule, item: DisposalItem, n: int,
             clearance: str = "confidential") -> dict[str, Any]:
    """One line of the destruction list; title and summary hidden above ``clearance``."""
    file = item.file
    shown = disposal.visible(clearance, file)
    pairs = filing.file_documents(session, file)
    cls_title = schedule.get(file.class_code).title.zh_tw if file.class_code in schedule else ""
    return {
        "item": n, "file_number": file.number, "year": file.year, "class_code": file.class_code,
        "class_title": cls_title, "case_no": file.case_no,
        "volumes": max((a.volume for _, a in pairs), default=0),
        "title": file.title if shown else disposal.REDACTED,
        "division": file.division or "", "date_range": f"{roc(file.date_from)}–{roc(file.date_to)}",
        "retention": _retention_text(file.retention),
        "retention_changes": retention_changes(session, file),
        "summary": (file.summary or "") if shown else "",
        "division_opinion": _opinion(session, item),
        "authority_ref": item.authority_ref or "", "status": item.status,
    }


def destruction_list(session: Session, schedule: Schedule, items: Iterable[DisposalItem],
                     clearance: str = "confidential") -> list[dict[str, Any]]:
    return [list_row(session, schedule, item, n, clearance)
            for n, item in enumerate(items, start=1)]


def write_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([label for _, label in LIST_COLUMNS])
        for row in rows:
            writer.writerow([row[key] for key, _ in LIST_COLUMNS])
    return path


_STYLE = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "Noto Sans CJK TC", "Noto Sans TC", sans-serif; font-size: 10pt; }
h1 { font-size: 16pt; text-align: center; margin: 0 0 4mm; }
p.meta { text-align: center; margin: 0 0 4mm; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #000; padding: 2px 4px; vertical-align: top; }
th { background: #eee; font-weight: normal; }
tr { page-break-inside: avoid; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; }
dt { font-weight: bold; }
"""


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="zh-Hant"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>\n")


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_list_html(rows: list[dict[str, Any]], agency: str, printed: date) -> str:
    """The destruction list as a page to print (or save as PDF from the browser)."""
    headers = [label for _, label in LIST_COLUMNS]
    table = _table(headers, [[row[key] for key, _ in LIST_COLUMNS] for row in rows])
    meta = f"{html.escape(agency)}　製表日期 {roc(printed)}　共 {len(rows)} 案"
    return _page("銷毀目錄", f"<h1>{html.escape(agency)} 檔案銷毀目錄</h1>"
                 f'<p class="meta">{meta}</p>{table}')


def render_certificate_html(cert: dict[str, Any]) -> str:
    """The human-readable destruction certificate (銷毀證明) for a certificate JSON."""
    file = cert["file"]
    facts = [
        ("證明書編號 certificate", cert["certificate_id"]),
        ("機關 agency", cert["agency"]),
        ("檔號 file", file["number"]),
        ("案名 case title", file["title"]),
        ("建檔單位 creating unit", file["division"] or ""),
        ("檔案起迄 date range", f"{file['date_from']} – {file['date_to']}"),
        ("保存年限 retention", file["retention"]),
        ("核准文號 authority reference", cert["authority_ref"]),
        ("執行時間 executed at", cert["executed_at"]),
        ("執行人 executed by", cert["executed_by"]),
        ("監銷人 supervisor", cert["supervisor"] or ""),
    ]
    dl = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in facts)
    approvals = _table(["核准人 officer", "時間 at", "文號 reference", "理由 reason"],
                       [[a["officer"], a["at"], a["authority_ref"], a["reason"]]
                        for a in cert["approvals"]])
    destroyed = _table(["文件 document", "目次 item", "種類 kind", "SHA-256", "bytes", "fixity"],
                       [[d["document_id"], d["item"], b["kind"], b["sha256"], b["size"],
                         b["fixity"]] for d in cert["documents"] for b in d["blobs"]])
    return _page(f"銷毀證明 {cert['certificate_id']}",
                 f"<h1>檔案銷毀證明 Destruction certificate</h1><dl>{dl}</dl>"
                 f"<h2>核准 Approvals</h2>{approvals}<h2>銷毀內容 Destroyed</h2>{destroyed}")
