"""Printed matter of the lifecycle: the destruction list (銷毀目錄) and destruction certificates.

The list carries, per file, the fields of 機關檔案保存年限及銷毀辦法 art. 8: agency, page
and item, year/class/case/volume numbers, case title (the documents' subjects), creator,
date range, volumes and pieces, retention period and any change with its reason, the case
summary (the letters' content, not their form lines) and remarks; the archives authority's
letter number once recorded (art. 17). It is written as CSV (UTF-8 with BOM, so
spreadsheet programs read the Chinese) and as a PDF to print and sign
(:mod:`pipeline.listpdf`). Dates are in the ROC calendar.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import disposal, filing, listpdf
from pipeline.dates import to_roc_short
from pipeline.db.models import DisposalItem, Document, FileAssignment, RecordFile, RetentionChange
from pipeline.retention.schedule import Schedule
from pipeline.search.base import CLEARANCE_LEVELS

#: the destruction list's columns (機關檔案保存年限及銷毀辦法 art. 8): key, heading
LIST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("agency", "機關名稱"),
    ("page", "頁次"),
    ("item", "項次"),
    ("year", "年度號"),
    ("class_code", "分類號"),
    ("case_no", "案次號"),
    ("volume_no", "卷次號"),
    ("title", "案名"),
    ("creator", "檔案產生者"),
    ("date_range", "檔案起迄日期"),
    ("volumes", "卷數"),
    ("pieces", "件數"),
    ("retention", "保存年限"),
    ("retention_changes", "保存年限調整及原因"),
    ("summary", "案情摘要"),
    ("remarks", "備註"),
    ("list_number", "銷毀目錄編號"),
    ("authority_ref", "核准文號"),
)
#: lines of a letter's form that are not its content (never part of a 案情摘要)
_FORM_LINE = re.compile(
    r"^\W{0,2}(?:檔\s*號|保存年限|發文日期|發文字號|速\s*別|密等|附\s*件|受文者|地\s*址|"
    r"承辦人|聯絡|電\s*話|傳\s*真|電子(?:信箱|郵件)|正\s*本|副\s*本|裝|訂|線)")
_SUMMARY_CHARS = 80
_TITLE_CHARS = 120


def roc(d: date | None) -> str:
    return to_roc_short(d) if d else ""


def _retention_text(value: str | None) -> str:
    if value is None:
        return ""
    return "永久" if value == "permanent" else f"{value}年"


def retention_changes(session: Session, file: RecordFile) -> str:
    rows = session.scalars(select(RetentionChange).where(RetentionChange.file_id == file.id)
                           .order_by(RetentionChange.id))
    return "；".join(f"原定{r.old_due and roc(r.old_due)}屆滿，延長{r.years}年（{r.reason}）"
                     for r in rows)


def _opinion(session: Session, item: DisposalItem) -> str:
    parts = [f"{c.division or c.author}：{c.text}" for c in disposal.comments(session, item)]
    parts += [f"{r.division or r.requested_by}請求延長{r.years}年：{r.reason}"
              f"（{_DECISION[r.status]}）" for r in disposal.extensions(session, item)]
    return "；".join(parts)


_DECISION = {"pending": "待決定", "granted": "已同意", "refused": "未同意"}
_ITEM_STATUS = {"queued": "", "approved": "", "executed": "已銷毀", "withdrawn": "已撤回"}


def case_title(docs: list[Document], fallback: str) -> str:
    """案名: the documents' subjects (主旨), else their titles; the class title only if none."""
    subjects = [str((d.fields or {}).get("subject") or d.title or "").strip() for d in docs]
    text = "；".join(dict.fromkeys(s for s in subjects if s))
    return _cut(text, _TITLE_CHARS) or fallback


def _after_subject(text: str, subject: str) -> str | None:
    """What follows the subject's sentence, when the OCR lost the 說明 label."""
    at = text.find(subject[:6]) if len(subject) >= 6 else -1
    if at < 0:
        return None
    end = text.find("。", at)
    return text[end + 1:] if end >= 0 else ""


def _content(text: str, subject: str = "") -> str:
    """A letter's content: from 說明 (or after its subject, or 主旨) on, without the lines of
    its form (letterhead, 檔號, 保存年限, 速別 ...)."""
    if (at := re.search(r"說明\s*[:：]", text)) is not None:
        text = text[at.end():]
    elif (rest := _after_subject(text, subject)) is not None:
        text = rest
    elif (at := re.search(r"主旨\s*[:：]", text)) is not None:
        text = text[at.end():]
    lines = [ln for ln in text.splitlines() if ln.strip() and not _FORM_LINE.match(ln)]
    return re.sub(r"\s+", "", "".join(lines)).lstrip("、，,:：;；") or subject


def case_summary(docs: list[Document]) -> str:
    """案情摘要: the beginning of each document's content, header lines left out."""
    parts = [_cut(_content(d.pages[0].text, str((d.fields or {}).get("subject") or "")),
                  _SUMMARY_CHARS) if d.pages else "" for d in docs]
    return "；".join(p for p in parts if p)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _volumes(pairs: list[tuple[Document, FileAssignment]]) -> list[int]:
    return sorted({a.volume for _, a in pairs})


def _volume_no(volumes: list[int]) -> str:
    if not volumes:
        return ""
    return f"{volumes[0]:03d}" if len(volumes) == 1 else f"{volumes[0]:03d}–{volumes[-1]:03d}"


def _remarks(session: Session, item: DisposalItem) -> str:
    parts = [_ITEM_STATUS.get(item.status, ""), _opinion(session, item)]
    if item.withdrawn_reason:
        parts.append(item.withdrawn_reason)
    return "；".join(p for p in parts if p)


def list_row(session: Session, schedule: Schedule, item: DisposalItem, n: int,
             clearance: str = CLEARANCE_LEVELS[-1]) -> dict[str, Any]:
    """One line of the destruction list; 案名 and 摘要 hidden above ``clearance``."""
    file = item.file
    shown = disposal.visible(clearance, file)
    pairs = filing.file_documents(session, file)
    docs = [d for d, _ in pairs]
    volumes = _volumes(pairs)
    dl = item.disposal_list
    return {
        "agency": schedule.agency.zh_tw, "page": None, "item": item.position or n,
        "file_number": file.number, "year": file.year, "class_code": file.class_code,
        "case_no": file.case_no, "volume_no": _volume_no(volumes),
        "title": case_title(docs, file.title) if shown else disposal.REDACTED,
        "creator": file.division or schedule.agency.zh_tw,
        "date_range": f"{roc(file.date_from)}–{roc(file.date_to)}",
        "volumes": len(volumes), "pieces": len(docs),
        "retention": _retention_text(file.retention),
        "retention_changes": retention_changes(session, file),
        "summary": case_summary(docs) if shown else "",
        "remarks": _remarks(session, item),
        "list_number": dl.number if dl else "",
        "authority_ref": (dl.authority_ref if dl else item.authority_ref) or "",
    }


def destruction_list(session: Session, schedule: Schedule, items: Iterable[DisposalItem],
                     clearance: str = CLEARANCE_LEVELS[-1]) -> list[dict[str, Any]]:
    return [list_row(session, schedule, item, n, clearance)
            for n, item in enumerate(items, start=1)]


#: the destruction list as printed: key, heading, width in mm (A4 landscape, 277 mm)
_PDF_COLUMNS = (("item", "項次", 9), ("year", "年度號", 11), ("class_code", "分類號", 15),
                ("case_no", "案次號", 11), ("volume_no", "卷次號", 11), ("title", "案名", 50),
                ("creator", "檔案產生者", 20), ("date_range", "檔案起迄日期", 25),
                ("volumes", "卷數", 9), ("pieces", "件數", 9), ("retention", "保存年限", 13),
                ("retention_changes", "保存年限調整及原因", 28), ("summary", "案情摘要", 48),
                ("remarks", "備註", 18))
#: who signs the list before it goes to the archives authority
LIST_SIGNATURES = ("承辦人", "檔案管理單位主管", "業務單位會辦意見及核章", "機關首長")


def list_sheet(rows: list[dict[str, Any]], agency: str, number: str, printed: date,
               authority_ref: str | None, approved_on: date | None) -> listpdf.Sheet:
    approval = (f"檔案管理局核准文號：{authority_ref}　核准日期：{roc(approved_on)}"
                if authority_ref else "檔案管理局核准文號：　　　　　　　　核准日期：")
    return listpdf.Sheet(
        title=f"{agency} 檔案銷毀目錄", rows=rows,
        meta=[f"機關名稱：{agency}", f"目錄編號：{number}", f"製表日期：{roc(printed)}",
              f"共 {len(rows)} 案"],
        columns=[listpdf.Column(k, h, w) for k, h, w in _PDF_COLUMNS],
        footer=[approval], signatures=list(LIST_SIGNATURES))


def export_list(sheet: listpdf.Sheet, pdf_path: Path | None, csv_path: Path | None) -> None:
    """The destruction list as PDF and/or CSV (the CSV's 頁次 follows the PDF)."""
    listpdf.export(sheet, LIST_COLUMNS, pdf_path, csv_path)


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
        ("銷毀目錄 list", f"{cert.get('disposal_list') or ''} 項次 "
                         f"{cert.get('list_position') or ''}"),
        ("核准文號 authority reference", cert["authority_ref"]),
        ("核准日期 approved on", cert.get("authority_approved_on") or ""),
        ("執行時間 executed at", cert["executed_at"]),
        ("執行人 executed by", cert["executed_by"]),
    ]
    dl = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in facts)
    approvals = _table(["核准人 officer", "時間 at", "文號 reference", "理由 reason"],
                       [[a["officer"], a["at"], a["authority_ref"], a["reason"]]
                        for a in cert["approvals"]])
    destroyed = _table(["文件 document", "目次 item", "種類 kind", "SHA-256", "bytes", "fixity"],
                       [[d["document_id"], d["item"], b["kind"], b["sha256"], b["size"],
                         b["fixity"]] for d in cert["documents"] for b in d["blobs"]])
    watchers = _table(["監銷單位 unit", "監銷人員 supervisor", "簽章 signature"],
                      [[w["unit"], w["name"], ""] for w in cert.get("supervisors") or []])
    return _page(f"銷毀證明 {cert['certificate_id']}",
                 f"<h1>檔案銷毀證明 Destruction certificate</h1><dl>{dl}</dl>"
                 f"<h2>監銷人員 Supervisors</h2>{watchers}"
                 f"<h2>核准 Approvals</h2>{approvals}<h2>銷毀內容 Destroyed</h2>{destroyed}")
