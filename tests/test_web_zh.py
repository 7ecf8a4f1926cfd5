"""The main flows in Traditional Chinese: no interface text left in English or code-speak.

Each flow is walked as its users walk it (search and read; review; the two-person
disposal approval and its execution; holds; the audit trail; a refusal; error pages), and
every page on the way, flash messages included, goes through
:func:`tests.untranslated.untranslated`. The records' own words (OCR text, titles, names)
are marked ``translate="no"`` and not checked.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from pipeline.archive import Archive
from tests import webdata
from tests.test_web_api import bearer, browser, csrf_of
from tests.untranslated import untranslated
from tests.webdata import PAGE_NUMBER, PAGE_PHRASE, WebData
from web.i18n_records import ACTIONS

fast_hashing, web_archive, web_app = webdata.fast_hashing, webdata.web_archive, webdata.web_app


def _chinese(client: TestClient, path: str, status: int = 200) -> str:
    """GET a page (after a redirect, the page it leads to) and check its words."""
    answer = client.get(path)
    while answer.status_code == 303:
        answer = client.get(answer.headers["location"])
    assert answer.status_code == status, (path, answer.status_code)
    left = untranslated(answer.text)
    assert not left, f"{path}: untranslated {sorted(set(left))}"
    return answer.text


def _post(client: TestClient, path: str, back: str, **form: str) -> str:
    answer = client.post(path, data={**form, "csrf_token": csrf_of(client, back)})
    assert answer.status_code == 303, (path, answer.status_code, answer.text[:300])
    return _chinese(client, answer.headers["location"])


def test_search_and_read_in_chinese(web_app: FastAPI, web_archive: tuple[Archive, WebData]) -> None:
    data = web_archive[1]
    staff = browser(web_app, "staff")
    for path in ("/search", "/search?q=採購", f"/search?q={PAGE_PHRASE}",
                 "/search?q=臺南&sort=date", "/dashboard",
                 f"/documents/{data.paged_id}?page={PAGE_NUMBER}&q={PAGE_PHRASE}",
                 f"/documents/{data.disposal_doc_id}"):
        _chinese(staff, path)
    _chinese(staff, "/search?q=臺南&year=99999", 400)
    _chinese(staff, "/documents/2147483647", 404)
    _chinese(staff, "/no/such/page", 404)
    _chinese(staff, "/audit", 403)
    _chinese(browser(web_app), "/login")


def test_review_in_chinese(web_app: FastAPI) -> None:
    officer = browser(web_app, "officer1")
    page = _chinese(officer, "/review")
    found = re.search(r'id="review-(\d+)"', page)
    if found is not None:
        done = _post(officer, f"/review/{found.group(1)}", "/review", action="correct",
                     class_code="03030101", file_now="true", reason="報修單")
        assert "分類號 03030101" in done


def test_disposal_to_execution_in_chinese(web_app: FastAPI,
                                          web_archive: tuple[Archive, WebData]) -> None:
    item = web_archive[1].disposal_item_id
    officer1, officer2 = browser(web_app, "officer1"), browser(web_app, "officer2")
    approve = {"reason": "保存年限屆滿", "authority_ref": "檔徵字第1150000001號"}
    _chinese(officer1, "/disposal")
    assert "已登錄您對項目" in _post(officer1, f"/disposal/{item}/approve", "/disposal", **approve)
    refused = _post(officer1, f"/disposal/{item}/approve", "/disposal", **approve)
    assert "須由另一位檔案管理人員核准" in refused
    _post(officer2, f"/disposal/{item}/approve", "/disposal", **approve)
    execute = f"/disposal/{item}/execute"
    confirm = _chinese(officer1, execute)
    assert "永久銷毀" in confirm and "監銷人員" in confirm
    unconfirmed = _post(officer1, execute, execute, supervisors="政風室 王大明")
    assert "未勾選確認" in unconfirmed
    executed = _post(officer1, execute, execute, supervisors="政風室 王大明", confirm="yes")
    assert "銷毀證明編號" in executed and "王大明" in executed
    assert "已銷毀" in _chinese(officer1, "/disposal")
    _chinese(officer1, f"/documents/{web_archive[1].disposal_doc_id}")
    _chinese(browser(web_app, "staff"), "/disposal")


def test_holds_and_audit_in_chinese(web_app: FastAPI,
                                    web_archive: tuple[Archive, WebData]) -> None:
    data = web_archive[1]
    officer = browser(web_app, "officer1")
    placed = _post(officer, "/holds", "/holds", kind="legal", scope="document",
                   target=str(data.disposal_doc_id), reason="訴訟中", reference="113年度訴字第1號")
    assert "已設定凍結" in placed
    blocked = _post(officer, f"/disposal/{data.disposal_item_id}/approve", "/disposal",
                    reason="屆期", authority_ref="檔徵字第1號")
    assert "受凍結" in blocked
    hold_id = re.findall(r'action="/holds/(\d+)/release"', _chinese(officer, "/holds"))[0]
    _post(officer, f"/holds/{hold_id}/release", "/holds", reason="判決確定")
    _chinese(officer, "/holds?all=true")
    for who in ("officer1", "auditor", "admin"):
        _chinese(browser(web_app, who), "/audit")
        _chinese(browser(web_app, who), "/audit?verify=true")
    _chinese(browser(web_app, "admin"), "/admin/lockouts")
    _chinese(officer, "/transfer")


def test_english_when_chosen(web_app: FastAPI, web_archive: tuple[Archive, WebData]) -> None:
    staff = browser(web_app, "staff")
    page = staff.get("/search?q=臺南&lang=en").text
    assert "documents match" in page and "件文件符合" not in page
    refused = staff.get("/search?q=臺南&year=99999").text  # the cookie keeps English
    assert "A year is ROC 1-999 or 1912-9999" in refused
    api = TestClient(web_app).get("/api/search?q=臺南&year=99999",
                                  headers=bearer(web_app, "staff"))
    assert api.status_code == 400


def test_every_audit_action_the_code_writes_has_a_chinese_name() -> None:
    """The audit page names each action; one added to the core without a name shows
    as code-speak. The actions are read from the source, so none can be forgotten."""
    root = Path(__file__).resolve().parents[1]
    call = re.compile(r'audit\.append\(\s*[^,]+,\s*[^,]+,\s*"([a-z_]+\.[a-z_]+)"', re.S)
    written = {a for folder in ("pipeline", "commands", "web", "flows")
               for path in (root / folder).rglob("*.py")
               for a in call.findall(path.read_text(encoding="utf-8"))}
    assert len(written) > 30
    assert sorted(written - set(ACTIONS)) == []
