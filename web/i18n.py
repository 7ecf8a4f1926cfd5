"""Interface strings in Traditional Chinese (the default) and English, and date display.

The language comes from ``?lang=`` (remembered in a cookie) or the cookie; nothing else.
Dates are shown in the ROC (Minguo) calendar in the Chinese interface, as officials write
them (``113.05.20``), and in ISO form in the English one; times are Taiwan time (UTC+8,
no daylight saving).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol

from pipeline.dates import TAIPEI, to_roc, to_roc_short

LANGS = ("zh-TW", "en")
DEFAULT_LANG = "zh-TW"
LANG_COOKIE = "lang"



class Translator(Protocol):
    def __call__(self, key: str, /, **values: object) -> str: ...


#: key -> (zh-TW, en)
STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("臺南市政府秘書處 檔案系統", "Tainan City Government Secretariat Records"),
    "nav.search": ("檢索", "Search"),
    "nav.dashboard": ("統計", "Dashboard"),
    "nav.review": ("分類審核", "Review"),
    "nav.disposal": ("銷毀", "Disposal"),
    "nav.transfer": ("移轉", "Transfer"),
    "nav.holds": ("凍結", "Holds"),
    "nav.audit": ("稽核軌跡", "Audit trail"),
    "nav.api": ("API 文件", "API docs"),
    "nav.logout": ("登出", "Log out"),
    "nav.language": ("English", "中文"),
    "login.title": ("登入", "Log in"),
    "login.name": ("帳號", "User name"),
    "login.password": ("密碼", "Password"),
    "login.submit": ("登入", "Log in"),
    "login.failed": ("帳號或密碼錯誤，或帳號已停用。",
                     "Wrong name or password, or the user is disabled."),
    "login.no_users": ("尚無使用者：請先以 `records user add NAME --role admin` 建立管理者。",
                       "No users yet: create the first admin with "
                       "`records user add NAME --role admin`."),
    "login.expired": ("登入已逾時，請重新登入。", "Your login expired: please log in again."),
    "search.title": ("全文檢索", "Full-text search"),
    "search.placeholder": ("關鍵字、文號、日期…", "Words, numbers, a \"quoted phrase\"…"),
    "search.submit": ("檢索", "Search"),
    "search.results": ("共 {n} 頁符合", "{n} pages match"),
    "search.none": ("查無資料。", "Nothing found."),
    "search.sort": ("排序", "Sort"),
    "search.sort.relevance": ("相關度", "Relevance"),
    "search.sort.date": ("日期", "Date"),
    "search.per_page": ("每頁", "Per page"),
    "search.filters": ("篩選", "Filters"),
    "search.clear": ("清除篩選", "Clear filters"),
    "search.prev": ("上一頁", "Previous"),
    "search.next": ("下一頁", "Next"),
    "search.page_of": ("第 {a}–{b} 筆", "Hits {a}–{b}"),
    "search.hit_page": ("第 {n} 頁", "page {n}"),
    "field.class_code": ("分類", "Class"),
    "field.division": ("單位", "Division"),
    "field.year": ("年度（民國）", "Year (ROC)"),
    "field.status": ("狀態", "Status"),
    "field.record_type": ("文件類型", "Record type"),
    "field.title": ("主旨／標題", "Title"),
    "field.original_name": ("原始檔名", "Original file"),
    "field.document_date": ("文件日期", "Document date"),
    "field.created_at": ("建檔時間", "Captured"),
    "field.pages": ("頁數", "Pages"),
    "field.confidentiality": ("機密等級", "Confidentiality"),
    "field.box": ("箱號", "Box"),
    "field.folder": ("夾號", "Folder"),
    "field.operator": ("掃描人員", "Scanned by"),
    "field.media_type": ("格式", "Format"),
    "field.sha256": ("SHA-256", "SHA-256"),
    "field.file_number": ("檔號", "File number"),
    "field.item_number": ("目次", "Item number"),
    "field.retention": ("保存年限", "Retention"),
    "field.disposition": ("屆期處置", "Disposition"),
    "field.due_date": ("保存期限屆滿日", "Retention ends"),
    "field.transfer_due": ("移轉年限屆滿日", "Transfer due"),
    "field.legal_basis": ("依據", "Legal basis"),
    "field.trigger": ("起算", "Counted from"),
    "field.reason": ("理由", "Reason"),
    "field.authority_ref": ("核准文號", "Authority reference"),
    "field.reference": ("文號／案號", "Reference"),
    "field.kind": ("種類", "Kind"),
    "field.scope": ("範圍", "Scope"),
    "field.target": ("對象", "Target"),
    "field.actor": ("執行者", "By"),
    "field.at": ("時間", "When"),
    "field.action": ("動作", "Action"),
    "field.details": ("內容", "Details"),
    "field.approvals": ("核准", "Approvals"),
    "field.blockers": ("尚待處理", "Blocked by"),
    "field.comments": ("業務單位意見", "Division comments"),
    "field.supervisor": ("監銷人員", "Supervisor"),
    "field.receipt_ref": ("接收文號", "Receipt reference"),
    "field.suggestions": ("建議分類", "Suggested classes"),
    "field.text": ("文字", "Text"),
    "doc.title": ("檔案內容", "Document"),
    "doc.metadata": ("詮釋資料", "Metadata"),
    "doc.retention": ("分類與保存", "Class and retention"),
    "doc.history": ("歷程", "Lifecycle history"),
    "doc.sign_offs": ("簽核紀錄（線上簽核）", "Sign-off chain (online signing)"),
    "field.sign_action": ("異動別", "Action"),
    "field.signer": ("簽核人員", "Signer"),
    "field.opinion": ("簽核意見", "Opinion"),
    "doc.holds": ("凍結中", "Under hold"),
    "doc.pages": ("影像與全文", "Page images and text"),
    "doc.page": ("第 {n} 頁", "Page {n}"),
    "doc.ocr_text": ("辨識文字", "Recognised text"),
    "doc.download_original": ("下載原始檔", "Download original"),
    "doc.download_archival": ("下載長期保存 PDF", "Download archival PDF"),
    "doc.not_filed": ("尚未歸檔", "Not yet filed"),
    "doc.no_class": ("尚未分類", "Not yet classified"),
    "doc.destroyed": ("本檔案已依核准銷毀，僅保留銷毀紀錄。",
                      "This record was destroyed under an approved disposal; only its "
                      "tombstone remains."),
    "doc.hits": ("命中 {n} 處", "{n} hits highlighted"),
    "doc.back": ("回檢索結果", "Back to results"),
    "review.title": ("分類審核", "Classification review"),
    "review.accept": ("採用", "Accept"),
    "review.correct": ("更正為", "Correct to"),
    "review.file_now": ("並歸檔", "and file it"),
    "review.why": ("依據", "why"),
    "review.proposed": ("系統建議", "Proposed class"),
    "review.alternatives": ("其他可能", "Alternatives"),
    "review.printed": ("公文印記", "Printed on the document"),
    "review.reason": ("送審原因", "Why it is here"),
    "review.empty": ("沒有待審核的檔案。", "Nothing awaits review."),
    "disposal.title": ("銷毀目錄", "Destruction list"),
    "disposal.approve": ("核准銷毀", "Approve destruction"),
    "disposal.reject": ("退回（撤出銷毀目錄）", "Reject (withdraw from the list)"),
    "disposal.execute": ("執行銷毀", "Execute destruction"),
    "disposal.comment": ("提出意見", "Comment"),
    "disposal.empty": ("銷毀目錄無待辦項目。", "The destruction list is empty."),
    "disposal.two_person": ("每一項須由兩位不同的檔案管理人員以相同核准文號核准。",
                            "Every item needs two different records officers approving under "
                            "the same authority reference."),
    "disposal.approved_by": ("已核准：{names}", "Approved by: {names}"),
    "transfer.title": ("移轉", "Transfer"),
    "transfer.ready": ("可移轉案卷", "Files ready for transfer"),
    "transfer.blocked": ("暫不可移轉", "Blocked"),
    "transfer.export": ("匯出移轉包（BagIt）", "Export a transfer bag (BagIt)"),
    "transfer.list": ("移轉紀錄", "Transfers"),
    "transfer.confirm": ("確認接收", "Confirm receipt"),
    "transfer.cancel": ("取消", "Cancel"),
    "holds.title": ("凍結（法律／稽核／調查）", "Holds (legal, audit, investigation)"),
    "holds.place": ("設定凍結", "Place a hold"),
    "holds.release": ("解除", "Release"),
    "holds.show_all": ("含已解除", "Include released"),
    "holds.empty": ("目前沒有凍結。", "No holds."),
    "audit.title": ("稽核軌跡", "Audit trail"),
    "audit.verify": ("驗證雜湊鏈", "Verify the hash chain"),
    "audit.ok": ("稽核紀錄完整：{n} 筆。", "Audit log intact: {n} entries."),
    "audit.bad": ("第 {id} 筆有誤：{reason}", "Entry {id} fails: {reason}"),
    "audit.filter": ("篩選對象", "Filter by target"),
    "audit.older": ("較舊", "Older"),
    "dash.title": ("統計", "Dashboard"),
    "dash.pages_per_month": ("每月掃描頁數", "Pages scanned per month"),
    "dash.month": ("月份", "Month"),
    "dash.pages": ("頁數", "Pages"),
    "dash.backlog": ("待辦", "Backlog"),
    "dash.awaiting_ocr": ("已保存未完成辨識的檔案", "Files preserved, not yet OCR'd"),
    "dash.awaiting_review": ("待分類／待審核", "Awaiting classification or review"),
    "dash.quarantined": ("隔離檔案", "Quarantined files"),
    "dash.due_this_year": ("今年到期", "Due this year"),
    "dash.due_disposal": ("保存期限屆滿（銷毀或鑑定）", "Retention ends (disposal or appraisal)"),
    "dash.due_transfer": ("應移轉國家檔案", "Due for transfer to the national archives"),
    "dash.open_disposal": ("銷毀目錄待辦", "Open destruction-list items"),
    "common.submit": ("送出", "Submit"),
    "common.none": ("無", "none"),
    "common.yes": ("是", "yes"),
    "common.no": ("否", "no"),
    "common.user": ("使用者", "User"),
    "error.title": ("錯誤", "Error"),
    "error.404": ("查無此資料。", "Not found."),
    "error.403": ("您的角色無此權限。", "Your role may not do this."),
    "error.csrf": ("表單已失效（缺少或錯誤的 CSRF 權杖），請重新整理後再試。",
                   "The form is stale (missing or wrong CSRF token): reload and try again."),
    "flash.done": ("已完成。", "Done."),
    "role.clerk": ("檔案管理員（掃描）", "Archives clerk"),
    "role.records_officer": ("檔案管理人員", "Records officer"),
    "role.staff": ("業務同仁", "Staff"),
    "role.auditor": ("稽核／政風人員", "Auditor"),
    "role.admin": ("系統管理者", "Administrator"),
    "status.captured": ("已掃描", "captured"),
    "status.needs_review": ("待審核", "needs review"),
    "status.classified": ("已分類", "classified"),
    "status.archived": ("已歸檔", "archived"),
    "status.flagged_for_transfer": ("待移轉", "flagged for transfer"),
    "status.transferred": ("已移轉", "transferred"),
    "status.appraisal": ("鑑定中", "appraisal"),
    "status.queued_for_disposal": ("待銷毀", "queued for disposal"),
    "status.approved": ("已核准銷毀", "approved for disposal"),
    "status.disposed": ("已銷毀", "disposed"),
    "conf.public": ("公開", "public"),
    "conf.internal": ("一般（限內部）", "internal"),
    "conf.confidential": ("機密", "confidential"),
    "disp.national_archive": ("列為國家檔案", "national archive"),
    "disp.agency_permanent": ("機關永久保存", "permanent at the agency"),
    "disp.appraise": ("屆期後鑑定", "appraise when due"),
    "disp.destroy": ("依規定程序銷毀", "destroy by procedure"),
    "retention.permanent": ("永久", "permanent"),
    "retention.years": ("{n} 年", "{n} years"),
    "hold.legal": ("法律", "legal"),
    "hold.audit": ("稽核", "audit"),
    "hold.investigation": ("調查", "investigation"),
    "scope.document": ("文件", "document"),
    "scope.file": ("案卷", "file"),
    "scope.class": ("分類", "class"),
    "item.queued": ("待核准", "awaiting approval"),
    "item.approved": ("已核准", "approved"),
    "item.executed": ("已銷毀", "executed"),
    "item.withdrawn": ("已撤出", "withdrawn"),
}


def pick_lang(query_lang: str | None, cookie_lang: str | None) -> str:
    for value in (query_lang, cookie_lang):
        if value in LANGS:
            return value
    return DEFAULT_LANG


def translator(lang: str) -> Translator:
    index = 0 if lang == "zh-TW" else 1

    def t(key: str, /, **values: object) -> str:
        pair = STRINGS.get(key)
        text = pair[index] if pair else key
        return text.format(**values) if values else text

    return t


def label(t: Translator, prefix: str, value: object) -> str:
    """A translated label for an enumerated value (status, role...), else the value."""
    key = f"{prefix}.{value}"
    return t(key) if key in STRINGS else str(value)


def show_date(value: date | datetime | str | None, lang: str, long: bool = False) -> str:
    """A date as officials expect it: ROC in Chinese (``113.05.20``), ISO in English."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        value = _taipei(value).date()
    if lang != "zh-TW" or value.year <= 1911:
        return value.isoformat()
    return to_roc(value) if long else to_roc_short(value)


def show_datetime(value: datetime | None, lang: str) -> str:
    if value is None:
        return ""
    local = _taipei(value)
    return f"{show_date(local.date(), lang)} {local:%H:%M}"


def _taipei(value: datetime) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(TAIPEI)
