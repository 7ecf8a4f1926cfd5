"""Traditional Chinese (and English) for what the core writes as data: audit actions and
their detail keys, lifecycle reasons, disposal blockers and classification evidence.

The core stores these in English (the audit log and the history are records themselves
and stay as written); the pages translate them when they show them. Text a person typed
(a reason, a comment) is shown as typed.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from web.i18n import DEFAULT_LANG, STRINGS, show_date, translator

#: audit action -> (zh-TW, en)
ACTIONS: dict[str, tuple[str, str]] = {
    "auth.login": ("登入", "log in"),
    "auth.logout": ("登出", "log out"),
    "auth.login_failed": ("登入失敗", "failed log-in"),
    "auth.login_locked": ("登入遭拒（鎖定中）", "log-in refused (locked)"),
    "auth.lockout": ("鎖定帳號或位址", "lockout"),
    "auth.unlock": ("解除鎖定", "lockout lifted"),
    "user.add": ("新增使用者", "user added"),
    "user.enable": ("啟用使用者", "user enabled"),
    "user.disable": ("停用使用者", "user disabled"),
    "document.view": ("調閱機密文件", "confidential document viewed"),
    "lifecycle.classify": ("分類", "classified"),
    "lifecycle.send_to_review": ("送分類審核", "sent to review"),
    "lifecycle.file": ("歸檔", "filed"),
    "lifecycle.flag_for_transfer": ("列入移轉", "flagged for transfer"),
    "lifecycle.send_to_appraisal": ("送鑑定", "sent to appraisal"),
    "lifecycle.queue_for_disposal": ("列入銷毀目錄", "queued for disposal"),
    "lifecycle.retain": ("鑑定後續存", "retained after appraisal"),
    "lifecycle.approve_disposal": ("核准銷毀", "disposal approved"),
    "lifecycle.withdraw_from_disposal": ("撤出銷毀目錄", "withdrawn from disposal"),
    "lifecycle.destroy": ("銷毀", "destroyed"),
    "lifecycle.transfer": ("移轉", "transferred"),
    "lifecycle.reclassify": ("改分類", "reclassified"),
    "classification.accept": ("審核採用分類", "classification accepted"),
    "classification.correct": ("審核更正分類", "classification corrected"),
    "classifier.retrain": ("重新訓練分類模型", "classifier retrained"),
    "retention.sweep": ("保存年限檢核", "retention sweep"),
    "retention.appraise": ("鑑定", "appraisal"),
    "disposal.queue": ("列入銷毀目錄", "put on the destruction list"),
    "disposal.approve": ("核准銷毀", "destruction approved"),
    "disposal.withdraw": ("撤出銷毀目錄", "withdrawn from the list"),
    "disposal.comment": ("業務單位意見", "division comment"),
    "disposal.request_extension": ("申請延長保存", "extension requested"),
    "disposal.decide_extension": ("延長保存決定", "extension decided"),
    "disposal.execute": ("執行銷毀", "destruction executed"),
    "disposal.blobs_removed": ("刪除銷毀檔案之儲存內容", "stored bytes removed"),
    "record.declassify": ("解密", "declassified"),
    "record.audit_consent": ("審計機關同意", "audit-authority consent"),
    "file.event": ("案卷事件", "file event"),
    "file.extend_retention": ("延長保存年限", "retention extended"),
    "hold.place": ("設定凍結", "hold placed"),
    "hold.release": ("解除凍結", "hold released"),
    "transfer.export": ("匯出移轉包", "transfer exported"),
    "transfer.confirm": ("確認移轉接收", "transfer received"),
    "transfer.cancel": ("取消移轉", "transfer cancelled"),
    "transfer.appraise": ("移轉前鑑定", "appraised for transfer"),
    "transfer.list_create": ("編製移轉目錄", "transfer list made"),
    "transfer.approve": ("記錄移轉核准", "transfer approval recorded"),
    "disposal.list_create": ("編製銷毀目錄", "destruction list made"),
    "disposal.list_approve": ("記錄銷毀目錄核准", "destruction-list approval recorded"),
    "record.mark_secrecy": ("註記機密等級", "secrecy level marked"),
    "transfer.download": ("下載移轉包", "transfer bag downloaded"),
}
#: keys of audit details and of audit targets -> (zh-TW, en)
TERMS: dict[str, tuple[str, str]] = {
    "reason": ("理由", "reason"), "authority_ref": ("核准文號", "authority reference"),
    "class": ("分類", "class"), "from": ("原狀態", "from"), "to": ("新狀態", "to"),
    "role": ("角色", "role"), "clearance": ("機密等級", "clearance"),
    "division": ("單位", "division"), "kind": ("種類", "kind"), "hold": ("凍結", "hold"),
    "reference": ("文號／案號", "reference"), "item": ("銷毀項目", "item"),
    "file": ("案卷", "file"), "due": ("屆滿日", "due"), "origin": ("來源", "origin"),
    "as_of": ("基準日", "as of"), "appraisal": ("送鑑定", "appraisal"),
    "queued_for_disposal": ("列入銷毀", "queued for disposal"),
    "flagged_for_transfer": ("列入移轉", "flagged for transfer"),
    "part": ("調閱部分", "part"), "via": ("途徑", "via"), "address": ("來源位址", "address"),
    "until": ("鎖定至", "until"), "limit": ("上限", "limit"), "text": ("內容", "text"),
    "supervisor": ("監銷人員", "supervisor"), "certificate": ("銷毀證明", "certificate"),
    "document": ("文件", "document"), "disposal_item": ("銷毀項目", "disposal item"),
    "user": ("使用者", "user"), "transfer": ("移轉", "transfer"), "token": ("登入權杖", "token"),
    "account": ("帳號", "account"), "model": ("分類模型", "model"),
    "receipt_ref": ("接收文號", "receipt reference"), "years": ("年數", "years"),
    "proposed": ("系統建議", "proposed"), "confidence": ("信心度", "confidence"),
    "method": ("方式", "method"),
    "retention": ("保存年限", "retention"),
    "blobs": ("儲存檔案", "stored files"), "html_path": ("銷毀證明（網頁）", "certificate (HTML)"),
    "html_sha256": ("銷毀證明（網頁）雜湊", "certificate (HTML) hash"),
    "json_path": ("銷毀證明（資料）", "certificate (JSON)"),
    "json_sha256": ("銷毀證明（資料）雜湊", "certificate (JSON) hash"),
    "documents": ("文件", "documents"), "files": ("案卷", "files"), "bag": ("移轉包", "bag"),
    "payload_oxum": ("移轉包摘要", "payload oxum"), "status": ("狀態", "status"),
    "id": ("編號", "id"), "count": ("件數", "count"), "path": ("路徑", "path"),
    "sha256": ("雜湊", "hash"), "scope": ("範圍", "scope"), "target": ("對象", "target"),
    "record_type_confidence": ("文件類型判定信心度", "record type confidence"),
    "proposed_class": ("文件類型建議分類", "class proposed by the record type"),
    "number": ("編號", "number"), "items": ("項目", "items"), "skipped": ("未列入", "skipped"),
    "approved_on": ("核准日期", "approved on"), "not_approved": ("未核准", "not approved"),
    "condition": ("解密條件", "declassification condition"),
    "declassify_on": ("解密日期", "declassify on"), "review_on": ("檢討日期", "review on"),
    "decision": ("鑑定結果", "decision"), "report_ref": ("鑑定報告文號", "appraisal report"),
    "blocked": ("不得移轉", "blocked"), "disposal_list": ("銷毀目錄", "destruction list"),
    "supervisors": ("監銷人員", "supervisors"), "received_on": ("接收日期", "received on"),
    "tagmanifest_sha256": ("移轉包清單雜湊", "tag manifest hash"),
}
Rewrite = tuple[re.Pattern[str], tuple[str, str]]


def _rules(*pairs: tuple[str, str, str]) -> list[Rewrite]:
    return [(re.compile(p), (zh, en)) for p, zh, en in pairs]


#: sentences the core writes (history reasons, blockers) -> templates of their parts
SENTENCES: list[Rewrite] = _rules(
    (r"^automatic \((?P<method>[a-z+ ]+)\): class (?P<code>\S+), confidence (?P<c>[\d.]+), "
     r"threshold (?P<t>[\d.]+)$", "自動分類（{method}）：分類號 {code}，信心度 {c}，門檻 {t}",
     "automatic ({method}): class {code}, confidence {c}, threshold {t}"),
    (r"^filed in (?P<n>\S+)$", "歸入案卷 {n}", "filed in {n}"),
    (r"^retention over (?:on|by) (?P<d>\d{4}-\d\d-\d\d)$", "保存年限已於 {d} 屆滿",
     "retention over on {d}"),
    (r"^class (?P<code>\S+)$", "分類號 {code}", "class {code}"),
    (r"^review (?P<verb>accept|correct): class (?P<code>\S+)$", "審核（{verb}）：分類號 {code}",
     "review {verb}: class {code}"),
    (r"^rejected: (?P<r>.*)$", "退回：{r}", "rejected: {r}"),
    (r"^destroyed under (?P<r>.*)$", "依 {r} 核准銷毀", "destroyed under {r}"),
    (r"^received under (?P<r>.*)$", "依 {r} 移轉接收", "received under {r}"),
    (r"^appraisal: retain (?P<n>\d+) years$", "鑑定：續存 {n} 年", "appraisal: retain {n} years"),
    (r"^appraisal: (?P<r>.*)$", "鑑定：{r}", "appraisal: {r}"),
    (r"^appraisal decided destruction$", "鑑定決定銷毀", "appraisal decided destruction"),
    (r"^extension of (?P<n>\d+) years granted$", "核准延長保存 {n} 年",
     "extension of {n} years granted"),
    (r"^needs approval by (?P<n>\d+) different records officers \(has (?P<has>\d+)\)$",
     "需由 {n} 位不同的檔案管理人員核准（目前 {has} 位）",
     "needs approval by {n} different records officers (has {has})"),
    (r"^approvals cite different authority references$", "各核准引用的核准文號不一致",
     "approvals cite different authority references"),
    (r"^retention runs until (?P<d>\d{4}-\d\d-\d\d) \(exclusive\)$",
     "保存期限至 {d} 止，尚未屆滿", "retention runs until {d} (exclusive)"),
    (r"^retention has no end date.*$", "保存年限無屆滿日（永久保存或起算事件未登錄）",
     "retention has no end date (permanent or its trigger event is not recorded)"),
    (r"^hold (?P<id>\d+) \((?P<kind>\w+), (?P<scope>\w+) (?P<target>\S+)\): (?P<r>.*)$",
     "凍結 {id}（{kind}，{scope} {target}）：{r}", "hold {id} ({kind}, {scope} {target}): {r}"),
    (r"^confidential: no declassification recorded$", "機密檔案：尚未登錄解密",
     "confidential: no declassification recorded"),
    (r"^accounting records: no audit-authority consent recorded$",
     "會計檔案：尚未登錄審計機關同意", "accounting records: no audit-authority consent recorded"),
    (r"^extension request (?P<id>\d+) is pending$", "延長保存申請 {id} 待決定",
     "extension request {id} is pending"),
    (r"^document (?P<id>\d+) is (?P<status>\w+)$", "文件 {id} 目前為「{status}」",
     "document {id} is {status}"),
    (r"^class (?P<code>\S+) is appraised before destruction, and no appraisal decided it$",
     "分類 {code} 屆期須先鑑定，尚無鑑定決定", "class {code} is appraised before destruction, "
     "and no appraisal decided it"),
    (r"^item is (?P<status>\w+), not approved$", "此項目狀態為「{status}」，尚未核准",
     "item is {status}, not approved"),
    (r"^not on a destruction list \(records disposal list create\)$", "尚未列入銷毀目錄",
     "not on a destruction list"),
    (r"^destruction list (?P<n>\S+) has no recorded approval of the archives authority.*$",
     "銷毀目錄 {n} 尚未登錄檔案管理局核准文號",
     "destruction list {n} has no recorded approval of the archives authority"),
    (r"^document (?P<id>\d+) is (?P<status>\w+), not flagged_for_transfer$",
     "文件 {id} 目前為「{status}」，未列入移轉", "document {id} is {status}, not flagged for "
     "transfer"),
    (r"^hold (?P<id>\d+) \((?P<kind>\w+)\)$", "凍結 {id}（{kind}）", "hold {id} ({kind})"),
    # the core's Chinese sentences carry an English gloss in parentheses: the Chinese part
    (r"^(?P<zh>[\u3400-\u9fff][^()]*?)\s*\((?P<en>[^()\u3400-\u9fff]+)\)$", "{zh}",
     "{zh} ({en})"),
)
def _part(name: str, value: str, lang: str) -> str:
    """A captured part shown in the language: dates in ROC, enumerations by label."""
    i = 0 if lang == DEFAULT_LANG else 1
    if name == "d":
        return show_date(date.fromisoformat(value), lang)
    if name == "method":
        return STRINGS.get(f"method.{value}", (value, value))[i]
    if name == "verb":
        return {"accept": ("採用", "accept"), "correct": ("更正", "correct")}.get(
            value, (value, value))[i]
    prefixes = {"kind": ("hold",), "scope": ("scope",), "status": ("item", "status")}
    for prefix in prefixes.get(name, ()):
        if f"{prefix}.{value}" in STRINGS:
            return translator(lang)(f"{prefix}.{value}")
    return value


def sentence(text: str | None, lang: str) -> tuple[str, bool]:
    """A sentence of the core in this language, and whether it was recognised (an
    unrecognised one is a person's own words, or new: shown as written)."""
    if not text:
        return "", True
    for pattern, pair in SENTENCES:
        if m := pattern.match(text):
            parts = {k: _part(k, v, lang) for k, v in m.groupdict().items()}
            return pair[0 if lang == DEFAULT_LANG else 1].format(**parts), True
    return text, False


def action_label(action: str, lang: str) -> str:
    pair = ACTIONS.get(action)
    return pair[0 if lang == DEFAULT_LANG else 1] if pair else action


def term(key: str, lang: str) -> str:
    pair = TERMS.get(key)
    return pair[0 if lang == DEFAULT_LANG else 1] if pair else key


def target_label(target: str, lang: str) -> Markup:
    """``document:5`` -> ``文件 5`` (the name or number itself is not translated)."""
    kind, sep, rest = target.partition(":")
    if sep and kind in TERMS:
        return Markup('{} <span translate="no">{}</span>').format(term(kind, lang), rest)
    if target in TERMS:
        return Markup(escape(term(target, lang)))
    return Markup('<span translate="no">{}</span>').format(target)


def evidence_lines(explanation: dict[str, Any], lang: str, limit: int = 3) -> list[Markup]:
    """The strongest evidence of a classification, in words (the text matched, not the
    regular expression that matched it)."""
    items = sorted(explanation.get("evidence", []),
                   key=lambda e: -abs(e.get("score", e.get("weight", 0))))
    zh = lang == DEFAULT_LANG
    out = []
    for e in items[:limit]:
        if e.get("source") == "model":
            feature = _quoted(str(e.get("feature", "")))
            out.append(Markup("模型特徵「{}」" if zh else "model feature “{}”").format(feature))
            continue
        matched = _quoted("、".join(str(m) for m in e.get("matched", [])[:3])
                          or str(e.get("rule", "")))
        times = f" ×{e['count']}" if int(e.get("count", 1)) > 1 else ""
        if zh:
            kind = "關鍵詞" if e.get("kind") == "keyword" else "符合樣式"
            out.append(Markup("{}「{}」{}").format(kind, matched, times))
        else:
            out.append(Markup("{} “{}”{}").format(e.get("kind", "rule"), matched, times))
    return out


def _quoted(text: str) -> Markup:
    """Words of the document itself: not interface text."""
    return Markup('<span translate="no">{}</span>').format(text)
