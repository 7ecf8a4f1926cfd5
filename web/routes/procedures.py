"""The destruction and transfer procedures, step by step as the core enforces them.

Destruction (機關檔案保存年限及銷毀辦法): a numbered 銷毀目錄 of the due files, printed
and sent to the archives authority; its approval letter recorded once for the list; two
officers confirm each item (``/disposal``); execution names the supervisors (監銷人員)
on a confirmation page of its own; then the certificate. Transfer (國家檔案移轉辦法):
appraisal per file, the 移轉目錄, the authority's approval, the export, the bag's
download, the receipt. Every step calls the function ``records disposal ...`` or
``records transfer ...`` calls; a refusal comes back as a message and changes nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from base64 import b64encode
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from pipeline import destruction, disposal, disposal_lists, reports, secrecy, sweep, transfer
from pipeline.access import visible_item
from pipeline.auth import Perm
from pipeline.authority import EXAMPLE
from pipeline.errors import NotFound, RecordsError
from web import procedures
from web.auth import check_csrf
from web.context import Ctx, page_ctx
from web.i18n import label
from web.params import Id
from web.routes.queues import act

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
PageCtx = Annotated[Ctx, Depends(page_ctx)]
MEDIA = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


def _scratch(ctx: Ctx) -> Path:
    """A private folder in the archive's work area for one download."""
    work = ctx.archive.settings.work_dir
    work.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="web-download-", dir=work))


def _download(path: Path, folder: Path, name: str, media: str,
              headers: dict[str, str] | None = None) -> FileResponse:
    """A file built for one download; its folder is removed once it is sent."""
    return FileResponse(path, media_type=media, filename=name, headers=headers,
                        background=BackgroundTask(shutil.rmtree, folder, True))


# ── destruction lists ────────────────────────────────────────────────────────────────


@router.post("/disposal/lists")
def list_create(ctx: PageCtx) -> Response:
    """``records disposal list create``: every queued item due today goes on a new list."""
    try:
        with ctx.session() as session:
            made = disposal_lists.create(session, ctx.user, ctx.schedule)
            list_id, number = made.disposal_list.id, made.disposal_list.number
    except RecordsError as exc:
        ctx.flash("error", ctx.error(exc))
        return ctx.redirect("/disposal")
    ctx.flash("ok", ctx.t("lists.created", number=number, n=len(made.items),
                          skipped=len(made.skipped)))
    return ctx.redirect(f"/disposal/lists/{list_id}")


@router.get("/disposal/lists/{list_id}")
def list_page(ctx: PageCtx, list_id: Id) -> Response:
    with ctx.session() as session:
        dl = procedures.list_of(session, ctx.user, list_id)
        rows = procedures.list_rows(session, ctx.user, ctx.schedule, dl)
        info = {"id": dl.id, "number": dl.number, "status": dl.status,
                "created_at": dl.created_at, "created_by": dl.created_by,
                "authority_ref": dl.authority_ref, "approved_on": dl.approved_on,
                "approval_recorded_by": dl.approval_recorded_by}
    return ctx.render("disposal_list.html", lst=info, rows=rows,
                      today=destruction.today().isoformat(),
                      example=EXAMPLE)


@router.get("/disposal/lists/{list_id}/{kind}")
def list_file(ctx: PageCtx, list_id: Id, kind: str) -> FileResponse:
    """The 銷毀目錄 to print (PDF, CJK font embedded) or as CSV: ``list export``."""
    if kind not in MEDIA:
        raise NotFound(f"no {kind} form of a destruction list")
    folder = _scratch(ctx)
    try:
        with ctx.session() as session:
            dl = procedures.list_of(session, ctx.user, list_id)
            sheet = procedures.list_sheet(session, ctx.user, ctx.schedule, dl)
            number = dl.number
        path = procedures.export_file(sheet, list(reports.LIST_COLUMNS), kind, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _download(path, folder, f"destruction-list-{number}.{kind}", MEDIA[kind])


@router.post("/disposal/lists/{list_id}/approve")
def list_approve(ctx: PageCtx, list_id: Id, authority_ref: Annotated[str, Form()],
                 approved_on: Annotated[str, Form()],
                 not_approved: Annotated[list[int] | None, Form()] = None) -> Response:
    """``records disposal list approve``: the authority's letter, once for the list."""
    def change(session: Session) -> str:
        dl = disposal_lists.record_approval(session, ctx.user, list_id, authority_ref,
                                            procedures.form_date(approved_on), not_approved)
        return ctx.t("lists.approved", number=dl.number, ref=dl.authority_ref,
                     n=len(not_approved or []))

    return act(ctx, f"/disposal/lists/{list_id}", change)


# ── the sweep (preview first), declassification, audit consent ───────────────────────


@router.get("/disposal/sweep")
def sweep_page(ctx: PageCtx, as_of: str = "") -> Response:
    """``records retention sweep --as-of``: a preview, whatever the date."""
    try:
        day = procedures.form_date(as_of) if as_of.strip() else None
        with ctx.session() as session:
            report = procedures.sweep_preview(session, ctx.user, ctx.schedule, day)
    except RecordsError as exc:
        ctx.flash("error", ctx.error(exc))
        return ctx.redirect("/disposal")
    return ctx.render("sweep.html", report=report, as_of=as_of.strip(),
                      today=destruction.today().isoformat())


@router.post("/disposal/sweep")
def sweep_run(ctx: PageCtx) -> Response:
    """``records retention sweep``: as of today, the only day that changes records."""
    def change(session: Session) -> str:
        report = sweep.sweep(session, ctx.user, ctx.schedule)
        return ctx.t("sweep.done", queued=len(report.queued_for_disposal),
                     flagged=len(report.flagged_for_transfer), appraisal=len(report.appraisal),
                     held=len(report.held))

    return act(ctx, "/disposal", change)


@router.post("/disposal/files/{file_id}/declassify")
def declassify(ctx: PageCtx, file_id: Id, reference: Annotated[str, Form()],
               reason: Annotated[str, Form()]) -> Response:
    """``records lifecycle declassify --file``: the 解密 of a whole file, recorded."""
    def change(session: Session) -> str:
        file = procedures.visible_file(session, ctx.user, file_id, Perm.declassify)
        secrecy.declassify(session, ctx.user, "file", file.id, reference, reason)
        return ctx.t("declassify.done", file=file.number)

    return act(ctx, "/disposal", change)


@router.post("/disposal/files/{file_id}/consent")
def consent(ctx: PageCtx, file_id: Id, reference: Annotated[str, Form()],
            note: Annotated[str, Form()] = "") -> Response:
    """``records disposal consent``: the audit authority's consent (accounting records)."""
    def change(session: Session) -> str:
        file = procedures.visible_file(session, ctx.user, file_id, Perm.declassify)
        disposal.record_audit_consent(session, ctx.user, file.id, reference,
                                      note.strip() or None)
        return ctx.t("consent.done", file=file.number)

    return act(ctx, "/disposal", change)


@router.post("/disposal/{item_id}/extend")
def extension_request(ctx: PageCtx, item_id: Id, years: Annotated[int, Form(ge=1, le=30)],
                      reason: Annotated[str, Form()]) -> Response:
    """``records disposal extend``: the owning division asks to keep the file longer."""
    def change(session: Session) -> str:
        visible_item(session, ctx.user, item_id)
        row = disposal.request_extension(session, ctx.user, item_id, years, reason)
        return ctx.t("extension.requested", id=row.id, item=item_id)

    return act(ctx, "/disposal", change)


@router.post("/disposal/extensions/{request_id}")
def extension_decide(ctx: PageCtx, request_id: Id, decision: Annotated[str, Form()],
                     reason: Annotated[str, Form()]) -> Response:
    """``records disposal decide-extension``: granted, the file leaves the list and is
    kept longer (a new decision: it comes back only when the longer period ends)."""
    def change(session: Session) -> str:
        procedures.extension_item(session, ctx.user, request_id)
        row = disposal.decide_extension(session, ctx.user, ctx.schedule, request_id,
                                        decision == "grant", reason)
        return ctx.t("extension.decided", id=row.id, status=label(ctx.t, "ext", row.status))

    return act(ctx, "/disposal", change)


# ── execution behind a confirmation, and the certificate ─────────────────────────────


@router.get("/disposal/{item_id}/execute")
def execute_confirm(ctx: PageCtx, item_id: Id) -> Response:
    """What will be destroyed, the list and approvals, and the supervisors to name."""
    try:
        with ctx.session() as session:
            item = procedures.to_execute(session, ctx.user, ctx.schedule, item_id)
    except RecordsError as exc:
        ctx.flash("error", ctx.error(exc))
        return ctx.redirect("/disposal")
    return ctx.render("disposal_execute.html", item=item)


@router.post("/disposal/{item_id}/execute")
def execute(ctx: PageCtx, item_id: Id, supervisors: Annotated[str, Form()] = "",
            confirm: Annotated[str, Form()] = "") -> Response:
    """Destruction runs its own transaction and re-checks everything (pipeline.destruction);
    without the confirmation box ticked nothing happens."""
    back = f"/disposal/{item_id}/execute"
    if confirm != "yes":
        ctx.flash("error", ctx.t("execute.unconfirmed"))
        return ctx.redirect(back)
    try:
        with ctx.session() as session:
            procedures.to_execute(session, ctx.user, ctx.schedule, item_id)
        result = destruction.execute(ctx.archive, ctx.user, ctx.schedule, item_id,
                                     procedures.supervisor_lines(supervisors))
    except RecordsError as exc:
        ctx.flash("error", ctx.error(exc))
        return ctx.redirect(back)
    ctx.flash("ok", ctx.t("disposal.executed", id=item_id, cert=result.certificate_id))
    return ctx.redirect(f"/disposal/{item_id}/certificate")


@router.get("/disposal/{item_id}/certificate")
def certificate_page(ctx: PageCtx, item_id: Id) -> Response:
    with ctx.session() as session:
        data = procedures.certificate(ctx.archive, session, ctx.user, item_id)
    return ctx.render("certificate.html", cert=data, body=data["body"], item_id=item_id)


@router.get("/disposal/{item_id}/certificate/print")
def certificate_print(ctx: PageCtx, item_id: Id) -> HTMLResponse:
    """The certificate exactly as stored when the destruction was recorded."""
    with ctx.session() as session:
        return HTMLResponse(procedures.certificate_html(ctx.archive, session, ctx.user,
                                                        item_id))


# ── transfer ─────────────────────────────────────────────────────────────────────────


@router.post("/transfer/appraise")
def transfer_appraise(ctx: PageCtx, file: Annotated[str, Form()],
                      decision: Annotated[str, Form()], reason: Annotated[str, Form()],
                      report_ref: Annotated[str, Form()] = "") -> Response:
    """``records transfer appraise``: the 鑑定 a file needs before the 移轉目錄."""
    def change(session: Session) -> str:
        row = transfer.appraise(session, ctx.user, file, decision, reason,
                                report_ref.strip() or None)
        return ctx.t("transfer.appraised", file=file, decision=ctx.t(f"appraisal.{row.decision}"))

    return act(ctx, "/transfer", change)


@router.post("/transfer/lists")
def transfer_list_create(ctx: PageCtx) -> Response:
    """``records transfer list --create``: every file eligible today."""
    try:
        with ctx.session() as session:
            made = transfer.create_list(session, ctx.user, ctx.schedule)
            transfer_id = made.id
    except RecordsError as exc:
        ctx.flash("error", ctx.error(exc))
        return ctx.redirect("/transfer")
    ctx.flash("ok", ctx.t("transfer.list_made", id=transfer_id))
    return ctx.redirect(f"/transfer/{transfer_id}")


@router.get("/transfer/{transfer_id}")
def transfer_page(ctx: PageCtx, transfer_id: Id) -> Response:
    with ctx.session() as session:
        found = procedures.transfer_of(session, ctx.user, transfer_id)
        rows = transfer.list_rows(session, ctx.schedule, found)
        info = transfer.transfer_dict(session, found)
        info.pop("bag")  # a server path: never shown
        info["tagmanifest_sha256"] = found.tagmanifest_sha256
        info["cancel_reason"] = found.cancel_reason
    return ctx.render("transfer_list.html", tr=info, rows=rows,
                      today=destruction.today().isoformat(), example=EXAMPLE)


@router.get("/transfer/{transfer_id}/list.pdf")
def transfer_list_pdf(ctx: PageCtx, transfer_id: Id) -> FileResponse:
    folder = _scratch(ctx)
    try:
        with ctx.session() as session:
            found = procedures.transfer_of(session, ctx.user, transfer_id)
            sheet = transfer.list_sheet(transfer.list_rows(session, ctx.schedule, found),
                                        ctx.schedule, found)
        transfer.export_list(sheet, folder / "list.pdf", None)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _download(folder / "list.pdf", folder, f"transfer-list-{transfer_id:04d}.pdf",
                     MEDIA["pdf"])


@router.post("/transfer/{transfer_id}/approve")
def transfer_approve(ctx: PageCtx, transfer_id: Id, authority_ref: Annotated[str, Form()],
                     approved_on: Annotated[str, Form()]) -> Response:
    """``records transfer approve``: the authority's approval, before the export."""
    def change(session: Session) -> str:
        procedures.transfer_of(session, ctx.user, transfer_id)
        done = transfer.record_approval(session, ctx.user, transfer_id, authority_ref,
                                        procedures.form_date(approved_on))
        return ctx.t("transfer.approval_recorded", id=transfer_id, ref=done.authority_ref)

    return act(ctx, f"/transfer/{transfer_id}", change)


@router.post("/transfer/{transfer_id}/export")
def transfer_export(ctx: PageCtx, transfer_id: Id) -> Response:
    """``records transfer export``: the bag is written on the server; the page offers it
    for download and never shows where it lies."""
    try:
        with ctx.session() as session:
            procedures.transfer_of(session, ctx.user, transfer_id)
        result = transfer.export(ctx.archive, ctx.user, ctx.schedule,
                                 ctx.archive.settings.home / "transfers", transfer_id)
    except RecordsError as exc:
        ctx.flash("error", ctx.error(exc))
    else:
        ctx.flash("ok", ctx.t("transfer.exported_one", id=result.transfer_id,
                              files=len(result.files)))
    return ctx.redirect(f"/transfer/{transfer_id}")


@router.get("/transfer/{transfer_id}/bag.zip")
def transfer_bag(ctx: PageCtx, transfer_id: Id) -> FileResponse:
    """The exported bag as one ZIP, validated again first; ``Repr-Digest`` carries its
    SHA-256 (RFC 9530) so the receiver can check what arrived."""
    folder = _scratch(ctx)
    try:
        with ctx.session() as session:
            path, digest = procedures.pack_bag(session, ctx.user, transfer_id, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _download(path, folder, path.name, "application/zip",
                     {"Repr-Digest": f"sha-256=:{b64encode(bytes.fromhex(digest)).decode()}:"})
