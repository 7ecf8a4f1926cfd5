"""Interface strings in Traditional Chinese (the default) and English, and date display.

The language comes from ``?lang=`` (remembered in a cookie) or the cookie; nothing else.
Dates are shown in the ROC (Minguo) calendar in the Chinese interface, as officials write
them (``113.05.20``), and in ISO form in the English one; times are Taiwan time (UTC+8,
no daylight saving).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Protocol

from pipeline.dates import TAIPEI, to_roc, to_roc_short
from pipeline.errors import RecordsError

LANGS = ("zh-TW", "en")
DEFAULT_LANG = "zh-TW"
LANG_COOKIE = "lang"
_CJK = re.compile(r"[\u3400-\u9fff]")



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
    "nav.lockouts": ("登入鎖定", "Lockouts"),
    "lockouts.title": ("登入鎖定", "Login lockouts"),
    "lockouts.policy": ("同一帳號 {window} 分鐘內登入失敗 {account} 次、或同一來源位址失敗 "
                        "{address} 次，即鎖定 {lockout} 分鐘；鎖定期間即使密碼正確亦拒絕登入。",
                        "{account} failed log-ins of one account, or {address} from one "
                        "client address, within {window} minutes lock it for {lockout} "
                        "minutes; while locked even the right password is refused."),
    "lockouts.key": ("帳號／位址", "Account or address"),
    "lockouts.until": ("鎖定至", "Locked until"),
    "lockouts.lift": ("解除鎖定", "Lift the lockout"),
    "lockouts.lifted": ("已解除 {key} 的鎖定。", "Lockout of {key} lifted."),
    "lockouts.empty": ("目前沒有被鎖定的帳號或位址。", "No account or address is locked."),
    "lockscope.account": ("帳號", "account"),
    "lockscope.address": ("來源位址", "client address"),
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
    "search.results": ("共 {n} 件文件符合", "{n} documents match"),
    "search.none": ("查無資料。", "Nothing found."),
    "search.sort": ("排序", "Sort"),
    "search.sort.relevance": ("相關度", "Relevance"),
    "search.sort.date": ("日期", "Date"),
    "search.per_page": ("每頁", "Per page"),
    "search.filters": ("篩選", "Filters"),
    "search.clear": ("清除篩選", "Clear filters"),
    "search.prev": ("上一頁", "Previous"),
    "search.next": ("下一頁", "Next"),
    "search.page_of": ("第 {a}–{b} 件", "Documents {a}–{b}"),
    "search.hit_page": ("第 {n} 頁", "page {n}"),
    "search.hit_pages": ("符合的頁次：", "Matching pages: "),
    "search.doc_no": ("文件編號 {n}", "document {n}"),
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
    "field.doc_kind": ("文別", "Kind"),
    "field.issuing_agency": ("發文機關", "Issuing agency"),
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
    "review.low_confidence": ("信心不足（{c}，門檻 {t}）",
                              "confidence too low ({c}, threshold {t})"),
    "review.no_class": ("沒有相符的類目", "no class matches"),
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
    "error.title": ("發生錯誤", "Error"),
    "error.title.400": ("輸入有誤", "Invalid request"),
    "error.title.401": ("需要登入", "Login required"),
    "error.title.403": ("沒有權限", "Not allowed"),
    "error.title.404": ("找不到網頁或資料", "Not found"),
    "error.title.405": ("不支援的操作", "Method not allowed"),
    "error.title.409": ("依規定不可執行", "Refused by a records rule"),
    "error.title.503": ("服務暫時無法使用", "Service unavailable"),
    "error.back": ("回到檢索", "Back to search"),
    "error.400": ("網址或表單中的資料格式不正確或超出範圍，請檢查後再試。",
                  "A value in the address or the form is malformed or out of range."),
    "error.404": ("查無此資料或網頁。", "Not found."),
    "error.403": ("您的角色無此權限。", "Your role may not do this."),
    "error.405": ("此網址不接受這種操作。", "This address does not accept this method."),
    "error.409": ("依檔案管理規定，此動作目前不可執行。",
                  "A records rule does not allow this now."),
    "error.503": ("資料庫、檔案庫或檢索索引暫時無法存取，請稍後再試。",
                  "The database, store or search index is unreachable; try again later."),
    "error.http": ("無法處理這個要求。", "The request could not be handled."),
    "error.invalid": ("網址或表單中的資料格式不正確或超出範圍，請檢查後再試。",
                      "A value in the address or the form is malformed or out of range."),
    "error.internal": ("系統發生錯誤，請通知系統管理者。",
                       "Something went wrong; please tell the administrator."),
    "error.csrf": ("表單已失效（安全驗證碼不符），請重新整理頁面後再試。",
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
    "conf.restricted": ("密", "restricted"),
    "conf.confidential": ("機密", "confidential"),
    "conf.secret": ("極機密", "secret"),
    "conf.top_secret": ("絕對機密", "top secret"),
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
    "perm.ingest": ("匯入掃描檔", "ingest"),
    "perm.search": ("檢索", "search"),
    "perm.classify": ("分類與歸檔", "classify"),
    "perm.sweep": ("保存年限檢核", "sweep"),
    "perm.appraise": ("鑑定", "appraise"),
    "perm.hold": ("設定凍結", "hold"),
    "perm.view_disposal": ("檢視銷毀目錄", "view the destruction list"),
    "perm.comment": ("提出意見", "comment"),
    "perm.approve": ("核准銷毀", "approve"),
    "perm.execute": ("執行銷毀", "execute"),
    "perm.declassify": ("解密", "declassify"),
    "perm.transfer": ("移轉", "transfer"),
    "perm.audit_read": ("檢視稽核軌跡", "read the audit trail"),
    "perm.manage_users": ("管理使用者", "manage users"),
    "ext.pending": ("待決定", "pending"),
    "ext.granted": ("已核准", "granted"),
    "ext.refused": ("未核准", "refused"),
    "transfer.exported": ("已匯出，待接收", "exported"),
    "transfer.confirmed": ("已確認接收", "received"),
    "transfer.cancelled": ("已取消", "cancelled"),
    "blocked.in an open transfer": ("已在進行中的移轉內", "in an open transfer"),
    "blocked.not all documents are flagged": ("案卷內尚有文件未列入移轉",
                                              "not all documents are flagged"),
    "blocked.confidential: not declassified": ("機密檔案，尚未解密",
                                               "confidential: not declassified"),
    "source.ocr": ("文字辨識", "OCR"),
    "source.text": ("PDF 內嵌文字", "PDF text layer"),
    "media.application/pdf": ("PDF", "PDF"),
    "media.image/tiff": ("TIFF 影像", "TIFF image"),
    "media.image/png": ("PNG 影像", "PNG image"),
    "media.image/jpeg": ("JPEG 影像", "JPEG image"),
    "method.rules": ("規則", "rules"),
    "method.model": ("模型", "model"),
    "method.hybrid": ("規則與模型", "rules and model"),
    "method.review": ("人工審核", "review"),
    "method.none": ("無相符類目", "no class"),
    "review.no_evidence": ("無明顯依據", "no evidence"),
    "review.done": ("文件 {id}：分類號 {code}（{status}）",
                    "Document {id}: class {code} ({status})"),
    "disposal.item_no": ("項目 {n}", "Item {n}"),
    "disposal.done": ("項目 {id}：{status}", "Item {id}: {status}"),
    "disposal.approved_flash": ("已登錄您對項目 {id} 的核准（目前：{status}）。",
                                "Your approval of item {id} is recorded (now: {status})."),
    "disposal.executed": ("項目 {id} 已銷毀，銷毀證明編號 {cert}。",
                          "Item {id} destroyed: certificate {cert}."),
    "holds.placed": ("已設定凍結 {id}。", "Hold {id} placed."),
    "holds.released": ("已解除", "Released"),
    "holds.released_one": ("已解除凍結 {id}。", "Hold {id} released."),
    "transfer.exported_one": ("移轉 {id} 已匯出（{files} 個案卷）。",
                              "Transfer {id} exported ({files} files)."),
    "transfer.done": ("移轉 {id}：{status}", "Transfer {id}: {status}"),
    "audit.filter_hint": ("點選下表的「對象」即可篩選", "document:5, disposal_item:2"),
    # the destruction procedure (機關檔案保存年限及銷毀辦法)
    "steps.list": ("編製銷毀目錄（今日已屆保存年限之案卷）", "Make a destruction list of the "
                   "files due today"),
    "steps.authority": ("函送檔案管理局，登錄核准文號及日期", "Send it to the archives authority; "
                        "record its approval letter"),
    "steps.two": ("兩位檔案管理人員逐項核准", "Two records officers confirm each item"),
    "steps.execute": ("會同監銷人員確認後執行銷毀", "Destroy, with the supervisors named, "
                      "after a confirmation"),
    "steps.certificate": ("檢視、列印銷毀證明", "View and print the certificate"),
    "lists.title": ("銷毀目錄", "Destruction lists"),
    "lists.heading": ("銷毀目錄 {number}", "Destruction list {number}"),
    "lists.number": ("目錄編號", "List"),
    "lists.count": ("案數", "Files"),
    "lists.count_n": ("{n} 案（待辦 {open}）", "{n} ({open} open)"),
    "lists.approved_on": ("核准日期", "Approved on"),
    "lists.made": ("製表", "Made"),
    "lists.recorded_by": ("登錄者", "recorded by"),
    "lists.unlisted": ("尚未列入目錄的待銷毀項目：{n} 案", "Queued items on no list: {n}"),
    "lists.create": ("編製銷毀目錄", "Make a destruction list"),
    "lists.created": ("已編製銷毀目錄 {number}：{n} 案（未列入 {skipped} 案）。",
                      "Destruction list {number} made: {n} files ({skipped} left off)."),
    "lists.approved": ("銷毀目錄 {number} 已登錄核准文號 {ref}（未核准 {n} 案）。",
                       "List {number}: approval {ref} recorded ({n} not approved)."),
    "lists.position": ("項次 {n}", "item {n}"),
    "lists.position_h": ("項次", "Item"),
    "lists.not_listed": ("尚未列入銷毀目錄", "on no list yet"),
    "lists.print": ("列印銷毀目錄（PDF）", "Print the list (PDF)"),
    "lists.csv": ("下載 CSV", "Download CSV"),
    "lists.case_title": ("案名", "Case title"),
    "lists.creator": ("檔案產生者", "Creator"),
    "lists.date_range": ("檔案起迄日期", "Date range"),
    "lists.volumes": ("卷數", "Volumes"),
    "lists.pieces": ("件數", "Pieces"),
    "lists.summary": ("案情摘要", "Summary"),
    "lists.remarks": ("備註", "Remarks"),
    "lists.record_approval": ("登錄檔案管理局核准函", "Record the archives authority's approval"),
    "lists.record_hint": ("核准文號登錄一次即適用整份目錄；檔案管理局未同意銷毀的項目請勾選，"
                          "將撤出目錄並回復為已歸檔。",
                          "The letter is recorded once for the whole list; tick the items the "
                          "authority did not approve: they leave the list and return to archived."),
    "lists.not_approved": ("檔案管理局未同意銷毀的項目", "Items the authority did not approve"),
    "lists.record_submit": ("登錄核准", "Record the approval"),
    "list.open": ("待檔案管理局核准", "awaiting the archives authority"),
    "list.approved": ("檔案管理局已核准", "approved by the archives authority"),
    "disposal.open": ("待辦項目", "Open items"),
    "disposal.history": ("已銷毀及撤出紀錄", "Executed and withdrawn"),
    "disposal.item": ("項目", "Item"),
    "disposal.outcome": ("結果", "Outcome"),
    "disposal.reject_reason": ("退回理由（將保留於紀錄）", "Reason (kept on record)"),
    "disposal.reject_submit": ("確認退回", "Withdraw the item"),
    "execute.title": ("執行銷毀：項目 {n}", "Execute the destruction of item {n}"),
    "execute.warning": ("下列文件將永久銷毀：原件、保存檔及全文索引一併刪除，"
                        "僅留銷毀紀錄，無法復原。",
                        "These documents will be destroyed for good: originals, archival copies "
                        "and index entries are removed; only the destruction record remains."),
    "execute.documents": ("將銷毀的文件（{n} 件）", "Documents to destroy ({n})"),
    "execute.pages": ("頁數", "Pages"),
    "execute.supervisors": ("監銷人員（每行一位：單位 姓名）",
                            "Supervisors (one per line: unit and name)"),
    "execute.supervisor_example": ("政風室 王大明", "Ethics Office Wang Da-ming"),
    "execute.confirm_box": ("我已會同監銷人員確認上列檔案，同意永久銷毀。",
                            "With the supervisors present I confirm the files above are to be "
                            "destroyed for good."),
    "execute.submit": ("確認執行銷毀", "Destroy now"),
    "execute.unconfirmed": ("未勾選確認：沒有銷毀任何檔案。",
                            "The confirmation was not ticked: nothing was destroyed."),
    "certificate.title": ("銷毀證明", "Certificate"),
    "certificate.heading": ("檔案銷毀證明（編號 {n}）", "Destruction certificate {n}"),
    "certificate.intact": ("證明內容與登錄時的雜湊值相符。",
                           "The certificate matches the hashes recorded with it."),
    "certificate.altered": ("證明內容與登錄時的雜湊值不符！請通知系統管理者。",
                            "The certificate does not match its recorded hashes!"),
    "certificate.print": ("列印銷毀證明", "Print the certificate"),
    "certificate.number": ("證明書編號", "Certificate"),
    "certificate.agency": ("機關", "Agency"),
    "certificate.executed_at": ("執行日期", "Executed on"),
    "certificate.executed_by": ("執行人", "Executed by"),
    "certificate.unit": ("監銷單位", "Unit"),
    "certificate.name": ("姓名", "Name"),
    "certificate.officer": ("核准人", "Officer"),
    "certificate.destroyed": ("已銷毀內容", "What was destroyed"),
    "certificate.document": ("文件", "Document"),
    "certificate.item": ("目次", "Item"),
    "certificate.kind": ("種類", "Kind"),
    "blob.original": ("原件", "original"),
    "blob.archival": ("保存檔（PDF/A）", "archival copy (PDF/A)"),
    "blob.part": ("附件", "part"),
    "sweep.title": ("保存年限檢核（預覽）", "Retention sweep (preview)"),
    "sweep.preview": ("預覽：以 {date} 為基準，檢核將如何處理各案卷；未變更任何紀錄。",
                      "Preview as of {date}: what the sweep would do; nothing was changed."),
    "sweep.as_of": ("基準日", "As of"),
    "sweep.show": ("預覽", "Preview"),
    "sweep.queued_for_disposal": ("列入待銷毀", "To the disposal queue"),
    "sweep.flagged_for_transfer": ("列入移轉", "Flagged for transfer"),
    "sweep.appraisal": ("送屆期鑑定", "To appraisal"),
    "sweep.held": ("受凍結，暫不處理", "Held"),
    "sweep.withdrawn": ("已撤出銷毀目錄，維持原決定", "Withdrawn from a list: the decision stands"),
    "sweep.awaiting_event": ("起算事件未登錄", "Awaiting the trigger event"),
    "sweep.unknown_class": ("分類號不在保存年限區分表", "Class not in the schedule"),
    "sweep.documents": ("文件數", "Documents"),
    "sweep.unplaced": ("未分類文件 {unclassified} 件、已分類未歸檔 {not_filed} 件"
                       "（尚未起算保存年限）。",
                       "{unclassified} documents unclassified, {not_filed} classified but not "
                       "filed."),
    "sweep.run_hint": ("只有以今天為基準的檢核會變更紀錄。", "Only a sweep as of today changes "
                       "records."),
    "sweep.run": ("執行今日保存年限檢核", "Run today's sweep"),
    "sweep.done": ("保存年限檢核完成：列入待銷毀 {queued} 案、列入移轉 {flagged} 案、送鑑定 "
                   "{appraisal} 案、受凍結 {held} 案。",
                   "Sweep done: {queued} queued, {flagged} flagged for transfer, {appraisal} "
                   "to appraisal, {held} held."),
    "extension.years": ("延長年數", "Years longer"),
    "extension.request": ("申請延長保存", "Ask for an extension"),
    "extension.requested": ("已提出延長保存申請 {id}（項目 {item}）。",
                            "Extension request {id} on item {item} recorded."),
    "extension.grant": ("核准延長", "Grant"),
    "extension.refuse": ("不予延長", "Refuse"),
    "extension.decided": ("延長保存申請 {id}：{status}。", "Extension request {id}: {status}."),
    "declassify.reference": ("解密文號", "Declassification reference"),
    "declassify.submit": ("登錄全案解密", "Record the file's declassification"),
    "declassify.done": ("已登錄案卷 {file} 解密。", "Declassification of {file} recorded."),
    "consent.reference": ("審計機關同意函文號", "Audit authority's letter"),
    "consent.note": ("備註", "Note"),
    "consent.submit": ("登錄審計機關同意", "Record the audit consent"),
    "consent.done": ("已登錄案卷 {file} 的審計機關同意。", "Audit consent for {file} recorded."),
    # the transfer procedure (國家檔案移轉辦法)
    "tsteps.appraise": ("逐案辦理移轉前鑑定", "Appraise each file"),
    "tsteps.list": ("編製移轉目錄", "Make the transfer list"),
    "tsteps.authority": ("登錄檔案管理局核准文號", "Record the archives authority's approval"),
    "tsteps.export": ("匯出並下載移轉包（BagIt）", "Export and download the bag (BagIt)"),
    "tsteps.confirm": ("登錄國家檔案接收", "Record the receipt"),
    "transfer.candidates": ("列入移轉的案卷", "Files flagged for transfer"),
    "transfer.appraisal": ("鑑定", "Appraisal"),
    "transfer.state": ("可否移轉", "Transferable"),
    "transfer.decision": ("鑑定結果", "Decision"),
    "transfer.findings": ("鑑定意見", "Findings"),
    "transfer.report_ref": ("鑑定報告文號", "Appraisal report"),
    "transfer.appraise": ("登錄鑑定", "Record the appraisal"),
    "transfer.appraised": ("案卷 {file} 已登錄鑑定：{decision}。",
                           "Appraisal of {file} recorded: {decision}."),
    "transfer.ready_one": ("可列入移轉目錄", "ready for a transfer list"),
    "transfer.create_list": ("編製移轉目錄", "Make a transfer list"),
    "transfer.list_made": ("已編製移轉目錄 {id}。", "Transfer list {id} made."),
    "transfer.approval_recorded": ("移轉 {id} 已登錄核准文號 {ref}。",
                                   "Transfer {id}: approval {ref} recorded."),
    "transfer.no": ("移轉編號", "Transfer"),
    "transfer.heading": ("移轉目錄 {n}", "Transfer list {n}"),
    "transfer.oxum": ("移轉包內容量（位元組數．檔案數）", "Payload-Oxum"),
    "transfer.tagmanifest": ("移轉包清單雜湊（SHA-256）", "Tag manifest SHA-256"),
    "transfer.print": ("列印移轉目錄（PDF）", "Print the transfer list (PDF)"),
    "transfer.download": ("下載移轉包（ZIP）", "Download the bag (ZIP)"),
    "transfer.secrecy": ("機密等級", "Classification"),
    "transfer.media": ("儲存媒體型式", "Storage media"),
    "transfer.listed": ("移轉目錄待核", "awaiting the archives authority"),
    "transfer.approved": ("已核准，待匯出", "approved, to export"),
    "appraisal.transfer": ("移轉（仍具永久保存價值）", "transfer"),
    "appraisal.retain": ("不移轉（機關續存）", "retain"),
}


#: message codes of :class:`pipeline.errors.RecordsError` -> (zh-TW, en); ``{name}`` are
#: the error's parameters
ERRORS: dict[str, tuple[str, str]] = {
    "auth.failed": ("帳號或密碼錯誤，或帳號已停用。",
                    "Wrong name or password, or the user is disabled."),
    "auth.locked": ("登入失敗次數過多，已暫時鎖定至 {until}；請稍後再試或請系統管理者解除。",
                    "Too many failed log-ins: locked until {until}; wait, or ask an admin "
                    "to lift it."),
    "perm.denied": ("您的角色沒有「{perm}」的權限。", "Your role may not {perm}."),
    "password.too_short": ("密碼至少需要 {min} 個字元。",
                           "A password needs at least {min} characters."),
    "password.common": ("這個密碼太常見（列於常用密碼清單），請改用其他密碼。",
                        "This password is on the list of commonly used passwords."),
    "password.is_name": ("密碼不可與帳號相同。", "The password must not be the user name."),
    "lockout.not_found": ("{key} 目前沒有被鎖定。", "{key} is not locked."),
    "search.bad_year": ("年度須為民國 1–999 年或西元 1912–9999 年（收到「{value}」）。",
                        "A year is ROC 1-999 or 1912-9999 (got \"{value}\")."),
    "search.too_long": ("檢索字串過長：最多 {max} 個字元（目前 {n} 個）。",
                        "The query is too long: at most {max} characters ({n} given)."),
    "search.too_many_terms": ("檢索詞過多：最多 {max} 個詞（目前 {n} 個）。",
                              "Too many search terms: at most {max} ({n} given)."),
    "document.not_found": ("查無文件 {id}。", "No document {id}."),
    "reason.required": ("請填寫理由。", "A reason is required."),
    "disposal.not_queued": ("項目 {id} 目前為「{status}」，不在待核准狀態。",
                            "Item {id} is {status}, not awaiting approval."),
    "disposal.not_open": ("項目 {id} 目前為「{status}」，已不在銷毀目錄上。",
                          "Item {id} is {status}: no longer on the list."),
    "disposal.approval_fields": ("核准須填寫理由及檔案管理局的核准文號。",
                                 "An approval needs a reason and the authority's letter number."),
    "disposal.same_officer": ("您已核准過項目 {id}；須由另一位檔案管理人員核准。",
                              "You approved item {id} already: a second, different records "
                              "officer must approve."),
    "disposal.other_reference": ("項目 {id} 已依核准文號 {ref} 核准，請引用相同文號。",
                                 "Item {id} was approved under {ref}: cite the same reference."),
    "disposal.extension_pending": ("延長保存申請 {id} 尚待決定，請先處理。",
                                   "Extension request {id} is pending: decide it first."),
    "disposal.not_executable": ("項目 {id} 目前不能執行銷毀：{problems}",
                                "Item {id} cannot be executed: {problems}"),
    "review.not_reviewable": ("文件 {id} 目前為「{status}」，只有尚未歸檔的文件可以審核。",
                              "Document {id} is {status}: only documents not yet filed can be "
                              "reviewed."),
    "review.no_proposal": ("文件 {id} 沒有系統建議分類，請選擇「更正為」。",
                           "Document {id} has no proposed class: correct it instead."),
    "hold.blocks": ("受凍結 {holds} 限制：解除前不得進行銷毀程序。",
                    "Under hold {holds}: nothing moves toward disposal until released."),
    "hold.released": ("凍結 {id} 已解除過了。", "Hold {id} was released already."),
    "hold.no_target": ("查無凍結對象「{target}」。", "No such hold target: {target}."),
    "date.invalid": ("「{value}」不是有效的日期。", "\"{value}\" is not a date."),
    "authority.bad_ref": ("核准文號「{value}」格式不符：應如 {example}（機關代字、字第、10 位數字"
                          "（前 3 位為民國年）、號）。",
                          "\"{value}\" is not a letter number like {example}."),
    "authority.future_date": ("核准日期 {date} 在今天之後：請填函文的實際日期。",
                              "The approval date {date} lies in the future."),
    "authority.year_mismatch": ("核准文號 {ref} 的年度 {year} 與函文日期 {date} 不符。",
                                "The year {year} of {ref} does not fit the letter's date {date}."),
    "disposal.nothing_due": ("沒有今天已屆保存年限、可列入銷毀目錄的檔案"
                             "（{skipped} 案暫不得列入）。",
                             "No queued file is due today ({skipped} cannot be listed)."),
    "disposal.not_listable": ("項目 {id} 已在其他銷毀目錄或不在待銷毀狀態。",
                              "Item {id} is on another list or not queued."),
    "disposal.list_approved": ("銷毀目錄 {number} 已登錄核准文號 {ref}，不得重複登錄。",
                               "List {number} has its approval {ref} already."),
    "disposal.approval_before_list": ("核准日期 {date} 早於銷毀目錄 {number} 的製表日期。",
                                      "The approval date {date} precedes list {number}."),
    "disposal.not_on_list": ("項目 {id} 不在銷毀目錄 {number} 上。",
                             "Item {id} is not on list {number}."),
    "disposal.list_not_approved": ("項目 {id} 的銷毀目錄尚未登錄檔案管理局核准文號，不得核准銷毀。",
                                   "Item {id} is not on a list the archives authority approved."),
    "disposal.no_supervisor": ("銷毀須有監銷人員：請填寫至少一位（單位 姓名，例：政風室 王大明）。",
                               "Name at least one supervisor (unit and name)."),
    "disposal.bad_supervisor": ("監銷人員「{value}」應寫為「單位 姓名」，例：政風室 王大明。",
                                "Supervisor \"{value}\": write the unit, then the name."),
    "disposal.not_approved": ("項目 {id} 目前為「{status}」，"
                              "須經兩位檔案管理人員核准後才能執行銷毀。",
                              "Item {id} is {status}: two officers must approve it first."),
    "disposal.certificate_altered": ("項目 {id} 的銷毀證明與登錄時的雜湊值不符。",
                                     "The certificate of item {id} does not match its hashes."),
    "transfer.not_flagged": ("案卷 {file} 未列入移轉，不須鑑定。",
                             "File {file} is not flagged for transfer."),
    "transfer.nothing_ready": ("沒有今天可移轉的案卷（須已鑑定為移轉，且屆滿移轉年限）。",
                               "No file is ready for transfer today."),
    "transfer.not_listed": ("移轉 {id} 目前為「{status}」：核准只能對待核的移轉目錄登錄一次。",
                            "Transfer {id} is {status}: an approval is recorded once, on a "
                            "list awaiting it."),
    "transfer.not_approved": ("移轉 {id} 目前為「{status}」：須先登錄檔案管理局核准，才能匯出。",
                              "Transfer {id} is {status}: the approval comes before the export."),
    "transfer.not_eligible": ("移轉 {id} 目前不得進行：{problems}",
                              "Transfer {id} may not proceed: {problems}"),
    "transfer.receipt_required": ("請填寫國家檔案接收文號。", "The receipt reference is required."),
    "transfer.bag_exists": ("移轉包 {name} 已存在，未覆寫。", "The bag {name} exists already."),
    "transfer.bag_missing": ("移轉 {id} 的移轉包已不在原處：無法確認內容未經變動。",
                             "The bag of transfer {id} is missing."),
    "transfer.bag_altered": ("移轉 {id} 的移轉包與匯出時不同（已被變動），不予提供或確認。",
                             "The bag of transfer {id} was altered after the export."),
    "transfer.no_bag": ("移轉 {id} 目前為「{status}」，尚無移轉包。",
                        "Transfer {id} is {status}: there is no bag yet."),
}
#: what a person is told of an error whose code is unknown, by kind of error
GENERIC_ERRORS = {"NotFound": "error.404", "AccessDenied": "error.403",
                  "NotPermitted": "error.409", "ConfigError": "error.400",
                  "StorageError": "error.503"}


def error_text(lang: str, exc: RecordsError,
               say: Callable[[str], str] | None = None) -> str:
    """The message of a core error in this language: its code translated with its
    parameters (``say`` translates sentences of a list parameter), else (in English) the
    error's own text, else the kind's general message."""
    pair = ERRORS.get(exc.code or "")
    if pair is not None:
        values = {k: "；".join(say(str(x)) if say else str(x) for x in v)
                  if isinstance(v, list) else _shown(v, lang) for k, v in exc.params.items()}
        values = {k: _status_word(k, v, lang) for k, v in values.items()}
        return pair[0 if lang == DEFAULT_LANG else 1].format(**values)
    if lang != DEFAULT_LANG and str(exc):
        return str(exc)
    if say and _CJK.match(str(exc)):  # the core's Chinese message, without its English gloss
        return say(str(exc))
    kind = next((GENERIC_ERRORS[k.__name__] for k in type(exc).__mro__
                 if k.__name__ in GENERIC_ERRORS), "error.internal")
    return translator(lang)(kind)


def _status_word(key: str, value: object, lang: str) -> object:
    """A state or permission named in a message: its label in the language."""
    prefixes = {"status": ("status", "item", "transfer"), "perm": ("perm",)}.get(key, ())
    t = translator(lang)
    for prefix in prefixes:
        if f"{prefix}.{value}" in STRINGS:
            return t(f"{prefix}.{value}")
    return value


def _shown(value: object, lang: str) -> object:
    if isinstance(value, datetime):
        return show_datetime(value, lang)
    if isinstance(value, date):
        return show_date(value, lang)
    return value


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
