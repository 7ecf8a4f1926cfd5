"""The web application in-process (FastAPI TestClient) on the ingested sample batch.

Access matrix of pages by role, confidentiality enforced in search, counts, facets and
direct URLs (404), audited views, CSRF refusal, the two-person rule through the pages,
and API answers equal to the CLI's ``--json`` output.
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from cli import app as cli_app
from pipeline.archive import Archive
from pipeline.db.models import AuditEntry, DisposalItem, Document, Page
from pipeline.search.base import clears
from tests import webdata
from tests.webdata import (
    CONFIDENTIAL_PHRASE,
    PAGE_NUMBER,
    PAGE_PHRASE,
    PASSWORD,
    WebData,
)
from web.auth import load_secret
from web.images import Box, hit_boxes, merge_boxes, safe_snippet

# fixtures shared with the other web tests
fast_hashing, web_archive = webdata.fast_hashing, webdata.web_archive
web_app = webdata.web_app
runner = CliRunner()
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ROLES = ("staff", "officer1", "auditor", "clerk", "admin")
#: page -> roles that may open it (everyone else gets 403); see docs/web.md
PAGE_ACCESS: dict[str, set[str]] = {
    "/search?q=臺南": set(ROLES),
    "/dashboard": set(ROLES),
    "/review": {"officer1"},
    "/disposal": {"staff", "officer1", "auditor"},
    "/transfer": {"officer1"},
    "/holds": {"staff", "officer1", "auditor"},
    "/audit": {"officer1", "auditor", "admin"},
}


def csrf_of(client: TestClient, path: str = "/login") -> str:
    match = CSRF_RE.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def browser(app: FastAPI, name: str | None = None) -> TestClient:
    """A client with its own cookie jar, logged in as ``name`` if given."""
    client = TestClient(app, follow_redirects=False)
    if name is not None:
        token = csrf_of(client)
        answer = client.post("/login", data={"name": name, "password": PASSWORD,
                                             "csrf_token": token, "next": "/search"})
        assert answer.status_code == 303 and answer.headers["location"] == "/search"
    return client


def bearer(app: FastAPI, name: str) -> dict[str, str]:
    client = TestClient(app)
    token = client.post("/api/login", json={"name": name, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def item_of(archive: Archive, item_id: int) -> tuple[str, str | None]:
    """Status and withdrawal reason of a disposal item."""
    with archive.session() as s:
        item = s.get(DisposalItem, item_id)
        assert item is not None
        return item.status, item.withdrawn_reason


def cli_json(*args: str, token: str | None = None) -> Any:
    env = {"RECORDS_TOKEN": token} if token else {}
    result = runner.invoke(cli_app, [*args], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ── anonymous visitors ───────────────────────────────────────────────────────────────


def test_anonymous_sees_only_login_health_static_and_api_docs(web_app: FastAPI) -> None:
    client = browser(web_app)
    for path in ("/login", "/healthz", "/static/style.css", "/api/openapi.json"):
        assert client.get(path).status_code == 200, path
    for path in [*PAGE_ACCESS, "/documents/1", "/documents/1/pages/1.png"]:
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?")
    for path in ("/api/search?q=臺南", "/api/documents/1", "/api/disposal/queue"):
        assert client.get(path).status_code == 401, path


def test_openapi_documents_the_api_with_bearer_auth(web_app: FastAPI) -> None:
    spec = TestClient(web_app).get("/api/openapi.json").json()
    assert "/api/search" in spec["paths"] and "/api/disposal/{item_id}/approve" in spec["paths"]
    assert not any(p.startswith("/documents") for p in spec["paths"])  # pages are not API
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_login_next_only_goes_to_local_paths(web_app: FastAPI) -> None:
    client = browser(web_app)
    answer = client.post("/login", data={"name": "staff", "password": PASSWORD, "next":
                                         "//evil.example/x", "csrf_token": csrf_of(client)})
    assert answer.headers["location"] == "/search"


def test_wrong_password_is_refused_and_audited(web_app: FastAPI,
                                               web_archive: tuple[Archive, WebData]) -> None:
    client = browser(web_app)
    answer = client.post("/login", data={"name": "staff", "password": "nope-nope",
                                         "csrf_token": csrf_of(client)})
    assert answer.headers["location"].startswith("/login")
    assert client.get("/search").status_code == 303
    with web_archive[0].session() as s:
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "auth.login_failed"))


# ── roles ────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("role", ROLES)
def test_page_access_matrix(web_app: FastAPI, role: str) -> None:
    client = browser(web_app, role)
    for path, allowed in PAGE_ACCESS.items():
        expected = 200 if role in allowed else 403
        assert client.get(path).status_code == expected, (role, path)


def test_navigation_shows_only_what_the_role_may_open(web_app: FastAPI) -> None:
    staff_page = browser(web_app, "staff").get("/search").text
    assert 'href="/disposal"' in staff_page and 'href="/audit"' not in staff_page
    assert 'href="/review"' not in staff_page
    officer_page = browser(web_app, "officer1").get("/search").text
    assert all(f'href="{p}"' in officer_page for p in ("/review", "/transfer", "/audit"))


# ── confidentiality ──────────────────────────────────────────────────────────────────


def test_staff_cannot_find_a_confidential_document(web_app: FastAPI,
                                                   web_archive: tuple[Archive, WebData]) -> None:
    secret = web_archive[1].confidential_id
    staff, officer = browser(web_app, "staff"), browser(web_app, "officer1")
    assert "共 0 件文件符合" in staff.get(f"/search?q={CONFIDENTIAL_PHRASE}").text
    found = officer.get(f"/search?q={CONFIDENTIAL_PHRASE}").text
    assert "共 1 件文件符合" in found and f"/documents/{secret}?page=1" in found
    api_staff = TestClient(web_app).get(f"/api/search?q={CONFIDENTIAL_PHRASE}",
                                        headers=bearer(web_app, "staff")).json()
    assert api_staff["total"] == 0 and api_staff["hits"] == []
    assert all(not values for values in api_staff["facets"].values())


def test_counts_and_facets_leave_out_what_the_clearance_does_not_cover(
        web_app: FastAPI, web_archive: tuple[Archive, WebData]) -> None:
    with web_archive[0].session() as s:
        hidden = {doc_id: pages for doc_id, pages, level in s.execute(select(
            Document.id, Document.page_count, Document.confidentiality))
            if not clears(webdata.USERS["staff"][1], level)}
    assert web_archive[1].confidential_id in hidden
    client = TestClient(web_app)
    wide = client.get("/api/search?q=臺南&limit=100", headers=bearer(web_app, "officer1")).json()
    narrow = client.get("/api/search?q=臺南&limit=100", headers=bearer(web_app, "staff")).json()
    hidden_hits = sum(1 for h in wide["hits"] if h["document_id"] in hidden)
    assert hidden_hits > 0
    assert narrow["total"] == wide["total"] - hidden_hits
    assert not hidden.keys() & {h["document_id"] for h in narrow["hits"]}
    assert narrow["facets"]["class_code"].get("030502") is None
    assert wide["facets"]["class_code"]["030502"] >= 1
    staff_dash = client.get("/api/dashboard", headers=bearer(web_app, "staff")).json()
    officer_dash = client.get("/api/dashboard", headers=bearer(web_app, "officer1")).json()
    pages = sum(r["pages"] for r in officer_dash["pages_per_month"]) - sum(
        r["pages"] for r in staff_dash["pages_per_month"])
    assert pages == sum(hidden.values())


def test_direct_urls_to_a_forbidden_document_answer_404(
        web_app: FastAPI, web_archive: tuple[Archive, WebData]) -> None:
    secret = web_archive[1].confidential_id
    staff, officer = browser(web_app, "staff"), browser(web_app, "officer1")
    paths = [f"/documents/{secret}", f"/documents/{secret}/pages/1.png",
             f"/documents/{secret}/download/archival", f"/documents/{secret}/download/original"]
    for path in paths:
        assert staff.get(path).status_code == 404, path
        assert staff.get(path.replace(str(secret), "99999")).status_code == 404
    assert officer.get(paths[0]).status_code == 200
    assert officer.get(paths[1]).headers["content-type"] == "image/png"
    headers = bearer(web_app, "staff")
    for path in (f"/api/documents/{secret}", f"/api/documents/{secret}/history",
                 f"/api/documents/{secret}/download/archival"):
        answer = TestClient(web_app).get(path, headers=headers)
        assert answer.status_code == 404 and answer.json()["error"] == "NotFound", path


def test_forbidden_document_cannot_be_held_or_reviewed_by_number(
        web_app: FastAPI, web_archive: tuple[Archive, WebData]) -> None:
    """A hold names its target: staff may not learn that a hidden id exists that way."""
    secret = web_archive[1].confidential_id
    answer = TestClient(web_app).post("/api/holds", headers=bearer(web_app, "auditor"), json={
        "kind": "audit", "scope": "document", "target": str(secret), "reason": "x"})
    assert answer.status_code == 200  # the auditor has full clearance
    staff = TestClient(web_app).get(f"/api/documents/{secret}/history",
                                    headers=bearer(web_app, "staff"))
    assert staff.status_code == 404


def test_every_view_of_a_confidential_document_is_audited(
        web_app: FastAPI, web_archive: tuple[Archive, WebData]) -> None:
    archive, data = web_archive
    officer = browser(web_app, "officer1")
    officer.get(f"/documents/{data.confidential_id}")
    officer.get(f"/documents/{data.confidential_id}/pages/1.png")
    officer.get(f"/documents/{data.confidential_id}/download/archival")
    TestClient(web_app).get(f"/api/documents/{data.confidential_id}",
                            headers=bearer(web_app, "auditor"))
    officer.get(f"/documents/{data.paged_id}")  # not confidential: not logged
    officer.get(f"/search?q={CONFIDENTIAL_PHRASE}")
    with archive.session() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "document.view")).all()
        seen = [(r.actor, r.target, r.details["part"], r.details["via"]) for r in rows]
    target = f"document:{data.confidential_id}"
    assert seen == [("officer1", target, "page 1", "web"), ("officer1", target, "image 1", "web"),
                    ("officer1", target, "download archival", "web"),
                    ("auditor", target, "metadata and text", "api"),
                    ("officer1", target, "search snippet", "web")]


# ── CSRF ─────────────────────────────────────────────────────────────────────────────


def test_posts_without_the_csrf_token_are_refused(web_app: FastAPI,
                                                  web_archive: tuple[Archive, WebData]) -> None:
    item = web_archive[1].disposal_item_id
    officer = browser(web_app, "officer1")
    form = {"reason": "retention over", "authority_ref": "檔徵字第1150000001號"}
    assert officer.post(f"/disposal/{item}/approve", data=form).status_code == 403
    bad = {**form, "csrf_token": "forged"}
    assert officer.post(f"/disposal/{item}/approve", data=bad).status_code == 403
    assert officer.post("/logout").status_code == 403
    fresh = TestClient(web_app, follow_redirects=False)
    login = {"name": "officer1", "password": PASSWORD}
    assert fresh.post("/login", data=login).status_code == 403
    assert item_of(web_archive[0], item)[0] == "queued"
    good = {**form, "csrf_token": csrf_of(officer, "/disposal")}
    assert officer.post(f"/disposal/{item}/approve", data=good).status_code == 303


def test_a_token_of_another_session_is_refused(web_app: FastAPI,
                                               web_archive: tuple[Archive, WebData]) -> None:
    one, two = browser(web_app, "officer1"), browser(web_app, "officer2")
    stolen = csrf_of(one, "/disposal")
    form = {"reason": "r", "authority_ref": "a", "csrf_token": stolen}
    assert two.post(f"/disposal/{web_archive[1].disposal_item_id}/approve",
                    data=form).status_code == 403


# ── two-person rule through the pages ────────────────────────────────────────────────


def _approve(client: TestClient, item: int, ref: str = "檔徵字第1150000001號") -> str:
    form = {"reason": "保存年限屆滿", "authority_ref": ref,
            "csrf_token": csrf_of(client, "/disposal")}
    assert client.post(f"/disposal/{item}/approve", data=form).status_code == 303
    return str(client.get("/disposal").text)


def test_disposal_needs_two_different_officers(web_app: FastAPI,
                                               web_archive: tuple[Archive, WebData]) -> None:
    archive, data = web_archive
    item = data.disposal_item_id
    officer1, officer2 = browser(web_app, "officer1"), browser(web_app, "officer2")
    assert 'class="flash ok"' in _approve(officer1, item)
    again = _approve(officer1, item)
    assert "須由另一位檔案管理人員核准" in again
    staff = browser(web_app, "staff")
    assert "沒有「核准銷毀」的權限" in _approve(staff, item)
    assert item_of(archive, item)[0] == "queued"
    _approve(officer2, item)
    assert item_of(archive, item)[0] == "approved"


def test_reject_withdraws_the_item(web_app: FastAPI,
                                   web_archive: tuple[Archive, WebData]) -> None:
    archive, data = web_archive
    officer = browser(web_app, "officer1")
    form = {"reason": "業務單位仍需使用", "authority_ref": "",
            "csrf_token": csrf_of(officer, "/disposal")}
    officer.post(f"/disposal/{data.disposal_item_id}/reject", data=form)
    status, reason = item_of(archive, data.disposal_item_id)
    assert status == "withdrawn" and "業務單位仍需使用" in (reason or "")


def test_api_approval_follows_the_same_rule(web_app: FastAPI,
                                            web_archive: tuple[Archive, WebData]) -> None:
    item = web_archive[1].disposal_item_id
    client = TestClient(web_app)
    body = {"reason": "保存年限屆滿", "authority_ref": "檔徵字第1150000001號"}
    first = client.post(f"/api/disposal/{item}/approve", json=body,
                        headers=bearer(web_app, "officer1"))
    assert first.json() == {"items": [{"id": item, "status": "queued"}]}
    twice = client.post(f"/api/disposal/{item}/approve", json=body,
                        headers=bearer(web_app, "officer1"))
    assert twice.status_code == 409
    denied = client.post(f"/api/disposal/{item}/approve", json=body,
                         headers=bearer(web_app, "staff"))
    assert denied.status_code == 403
    second = client.post(f"/api/disposal/{item}/approve", json=body,
                         headers=bearer(web_app, "officer2"))
    assert second.json() == {"items": [{"id": item, "status": "approved"}]}


# ── the other queues ─────────────────────────────────────────────────────────────────


def test_review_correct_classifies_and_files(web_app: FastAPI) -> None:
    officer = browser(web_app, "officer1")
    page = officer.get("/review").text
    found = re.search(r'id="review-(\d+)"', page)
    if found is None:
        pytest.skip("the classifier left nothing for review")
    doc_id = int(found.group(1))
    form = {"action": "correct", "class_code": "03030101", "file_now": "true",
            "reason": "報修單", "csrf_token": csrf_of(officer, "/review")}
    assert officer.post(f"/review/{doc_id}", data=form).status_code == 303
    shown = TestClient(web_app).get(f"/api/documents/{doc_id}",
                                    headers=bearer(web_app, "officer1")).json()
    assert (shown["status"], shown["class_code"]) == ("archived", "03030101")
    assert f'id="review-{doc_id}"' not in officer.get("/review").text


def test_review_accept_through_the_api(web_app: FastAPI,
                                       web_archive: tuple[Archive, WebData]) -> None:
    client, headers = TestClient(web_app), bearer(web_app, "officer1")
    items = client.get("/api/review", headers=headers).json()["items"]
    proposed = [i for i in items if i["class_code"]]
    if not proposed:
        pytest.skip("no review item with a proposed class")
    item = proposed[0]
    done = client.post(f"/api/review/{item['id']}/accept", headers=headers,
                       json={"reason": "ok"}).json()
    assert done == {"id": item["id"], "status": "classified", "class_code": item["class_code"]}
    staff = client.post(f"/api/review/{item['id']}/accept", headers=bearer(web_app, "staff"),
                        json={})
    assert staff.status_code in (403, 404)  # no permission (or not even visible)


def test_hold_placed_in_the_page_blocks_approval(web_app: FastAPI,
                                                 web_archive: tuple[Archive, WebData]) -> None:
    data = web_archive[1]
    auditor = browser(web_app, "auditor")
    form = {"kind": "audit", "scope": "document", "target": str(data.disposal_doc_id),
            "reason": "審計查核中", "reference": "審字第1",
            "csrf_token": csrf_of(auditor, "/holds")}
    auditor.post("/holds", data=form)
    assert "審計查核中" in auditor.get("/holds").text
    assert "受凍結" in _approve(browser(web_app, "officer1"), data.disposal_item_id)


def test_audit_trail_page_and_verification(web_app: FastAPI) -> None:
    auditor = browser(web_app, "auditor")
    page = auditor.get("/audit?verify=true").text
    assert 'id="verify"' in page and "稽核紀錄完整" in page and ">分類<" in page
    assert "lifecycle.classify" in auditor.get("/audit?lang=en").text


# ── API shapes are the CLI's ─────────────────────────────────────────────────────────


def test_api_answers_equal_the_cli_json(web_app: FastAPI,
                                        web_archive: tuple[Archive, WebData]) -> None:
    data = web_archive[1]
    client = TestClient(web_app)
    headers = bearer(web_app, "officer1")
    token = headers["Authorization"].split()[1]

    def api(path: str) -> Any:
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text)
        return answer.json()

    assert api(f"/api/documents/{data.paged_id}") == cli_json("show", str(data.paged_id),
                                                               "--json", token=token)
    assert api(f"/api/search?q={PAGE_PHRASE}") == cli_json("search", PAGE_PHRASE, "--json",
                                                           token=token)
    assert api("/api/disposal/queue") == cli_json("disposal", "queue", "--json", token=token)
    assert api("/api/holds?all=true") == cli_json("hold", "list", "--all", "--json",
                                                  token=token)
    history = cli_json("lifecycle", "history", str(data.disposal_doc_id), "--json", token=token)
    assert api(f"/api/documents/{data.disposal_doc_id}/history") == history
    assert api("/api/whoami") == cli_json("whoami", "--json", token=token)
    assert api("/api/review") == cli_json("review", "list", "--json", token=token)
    assert api("/api/audit/log?limit=20") == cli_json("audit", "log", "--limit", "20", "--json",
                                                      token=token)
    status = api("/api/status")
    assert status == cli_json("status", "--json")


def test_api_tokens_log_in_and_out(web_app: FastAPI) -> None:
    client = TestClient(web_app)
    assert client.post("/api/login", json={"name": "staff", "password": "x"}).status_code == 401
    headers = bearer(web_app, "staff")
    assert client.get("/api/whoami", headers=headers).json()["role"] == "staff"
    assert client.post("/api/logout", headers=headers).json() == {"revoked": True}
    assert client.get("/api/whoami", headers=headers).status_code == 401
    assert client.get("/api/status", headers=bearer(web_app, "staff")).status_code == 403


def test_cli_login_tokens_work_for_the_api(web_app: FastAPI) -> None:
    result = runner.invoke(cli_app, ["login", "auditor", "--password-stdin", "--print-token"],
                           input=PASSWORD + "\n")
    token = result.stdout.strip().splitlines()[-1]
    me = TestClient(web_app).get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["name"] == "auditor"


# ── language, dates, pages ───────────────────────────────────────────────────────────


def test_chinese_by_default_english_on_request(web_app: FastAPI,
                                               web_archive: tuple[Archive, WebData]) -> None:
    client = browser(web_app, "officer1")
    doc = f"/documents/{web_archive[1].disposal_doc_id}"
    page = client.get(doc).text
    assert 'lang="zh-TW"' in page and "保存期限屆滿日" in page
    # due date of the 107-10-17 drill record, five years on (schedule v2: repairs 5 years)
    assert "中華民國112年10月18日" in page
    english = client.get(f"{doc}?lang=en")
    assert 'lang="en"' in english.text and "Retention ends" in english.text
    assert "2023-10-18" in english.text
    assert client.get(doc).text.count('lang="en"') == 1  # remembered in the cookie


def test_document_page_marks_the_hit_on_the_right_page(
        web_app: FastAPI, web_archive: tuple[Archive, WebData]) -> None:
    client = browser(web_app, "staff")
    results = client.get(f"/search?q={PAGE_PHRASE}").text
    link = f"/documents/{web_archive[1].paged_id}?page={PAGE_NUMBER}"
    assert link in results
    page = client.get(f"{link}&q={PAGE_PHRASE}").text
    assert 'aria-current="page">第 3 頁' in page
    assert page.count('class="hitbox"') >= 1 and f"<mark>{PAGE_PHRASE}</mark>" in page


def test_security_headers(web_app: FastAPI) -> None:
    answer = browser(web_app, "staff").get("/search")
    assert answer.headers["x-frame-options"] == "DENY"
    assert "script-src 'none'" in answer.headers["content-security-policy"]
    cookie = answer.request.headers.get("cookie", "")
    assert "records_session=" in cookie


# ── units ────────────────────────────────────────────────────────────────────────────


def test_hit_boxes_join_words_of_one_line() -> None:
    page = Page(number=1, text="", source="ocr", width=1000, height=1000, dpi=300, words=[
        ["七、", 10, 100, 40, 30, 90.0], ["聯絡", 50, 100, 40, 30, 90.0],
        ["窗口:", 92, 101, 50, 30, 90.0], ["本府", 150, 100, 40, 30, 90.0],
        ["聯絡", 10, 300, 40, 30, 90.0], ["人", 52, 300, 20, 30, 90.0]])
    assert hit_boxes(page, "聯絡窗口") == [Box(50, 100, 92, 31)]
    assert hit_boxes(page, "本府 聯絡") == [Box(50, 100, 40, 30), Box(150, 100, 40, 30),
                                           Box(10, 300, 40, 30)]
    assert merge_boxes([]) == []


def test_snippets_are_escaped_except_marks() -> None:
    html = str(safe_snippet("<script>x</script> a <mark>b</mark> &lt;mark&gt;c&lt;/mark&gt;"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.endswith("<mark>b</mark> <mark>c</mark>")


def test_secret_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_secret(tmp_path)
    assert load_secret(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "web-secret").stat().st_mode) == 0o600
    assert load_secret(tmp_path, "configured") == "configured"


def test_search_form_filters_sorts_and_pages(web_app: FastAPI) -> None:
    client = browser(web_app, "officer1")
    everything = client.get("/search?q=臺南&year=&sort=relevance&limit=10")
    assert everything.status_code == 200
    headers = bearer(web_app, "officer1")
    api = TestClient(web_app)
    total = api.get("/api/search?q=臺南", headers=headers).json()["total"]
    in_113 = api.get("/api/search?q=臺南&year=113&limit=100", headers=headers).json()
    assert 0 < in_113["total"] < total
    assert in_113 == api.get("/api/search?q=臺南&year=2024&limit=100", headers=headers).json()
    by_date = api.get("/api/search?q=臺南&sort=date&limit=100", headers=headers).json()["hits"]
    ids = [h["document_id"] for h in by_date]
    assert len(ids) == total
    second = api.get("/api/search?q=臺南&limit=2&offset=2", headers=headers).json()["hits"]
    first_four = api.get("/api/search?q=臺南&limit=4", headers=headers).json()["hits"]
    assert second == first_four[2:]
    page = client.get("/search?q=臺南&limit=2").text
    assert 'rel="next"' in page and "offset=2" in page
    assert client.get("/search?q=臺南&year=abc").status_code == 400
    filtered = client.get("/search?q=臺南&division=總務科").text
    assert "單位: 總務科" in filtered


def test_typed_field_filters_match_the_cli(web_app: FastAPI,
                                           web_archive: tuple[Archive, WebData]) -> None:
    """``field=KEY=VALUE`` as ``records search --field`` (as the same user)."""
    with web_archive[0].session() as s:
        pairs = [(k, v) for d in s.scalars(select(Document).where(
            Document.confidentiality != "confidential")) for k, v in (d.fields or {}).items()
            if isinstance(v, str) and v]
    if not pairs:
        pytest.skip("the ingest extracted no typed text fields")
    wanted = f"{pairs[0][0]}={pairs[0][1]}"
    headers = bearer(web_app, "staff")
    found = TestClient(web_app).get("/api/search", headers=headers,
                                    params={"q": "臺南", "field": wanted}).json()
    token = headers["Authorization"].split()[1]
    assert found == cli_json("search", "臺南", "--field", wanted, "--json", token=token)
    page = browser(web_app, "staff").get("/search", params={"q": "臺南", "field": wanted})
    assert page.status_code == 200 and f"{wanted} ✕" in page.text


def test_serve_command_runs_the_app_under_uvicorn(monkeypatch: pytest.MonkeyPatch,
                                                   web_archive: tuple[Archive, WebData]) -> None:
    import uvicorn

    calls: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.update(kw, app=app))
    result = runner.invoke(cli_app, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert (calls["host"], calls["port"]) == ("127.0.0.1", 8123)
    app = calls["app"]
    assert isinstance(app, FastAPI) and app.state.archive.settings.home == \
        web_archive[0].settings.home
    app.state.archive.close()


@pytest.mark.xfail(
    reason=(
        "web execution after two approvals does not yet follow the destruction-list "
        "procedure (approved list, supervisors): open"
    ),
    strict=False,
)
def test_execute_after_two_approvals_leaves_a_tombstone(
        web_app: FastAPI, web_archive: tuple[Archive, WebData]) -> None:
    archive, data = web_archive
    body = {"reason": "保存年限屆滿", "authority_ref": "檔徵字第1150000001號"}
    for officer in ("officer1", "officer2"):
        TestClient(web_app).post(f"/api/disposal/{data.disposal_item_id}/approve", json=body,
                                 headers=bearer(web_app, officer))
    officer = browser(web_app, "officer1")
    form = {"supervisor": "政風室 王大明", "csrf_token": csrf_of(officer, "/disposal")}
    officer.post(f"/disposal/{data.disposal_item_id}/execute", data=form)
    assert item_of(archive, data.disposal_item_id)[0] == "executed"
    page = officer.get(f"/documents/{data.disposal_doc_id}")
    assert page.status_code == 200 and "本檔案已依核准銷毀" in page.text
    assert "/download/" not in page.text and "pageview" not in page.text
    for path in (f"/documents/{data.disposal_doc_id}/pages/1.png",
                 f"/documents/{data.disposal_doc_id}/download/archival"):
        assert officer.get(path).status_code == 404
    assert "共 0 件文件符合" in officer.get("/search?q=警示圍籬").text  # gone from the index
