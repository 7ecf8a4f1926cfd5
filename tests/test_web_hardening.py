"""Hardening of the web application: login throttling and lockout, the password policy,
out-of-range parameters on every route (400/404, never 500), bounded queries, lists and
counts filtered by clearance, the API documentation served from local assets."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import Mount
from typer.testing import CliRunner

from cli import app as cli_app
from pipeline import auth, holds, passwords, throttle
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.db.models import AuditEntry, DisposalItem
from pipeline.errors import AccessDenied, ConfigError
from pipeline.holds import HoldKind, HoldScope
from pipeline.search.base import MAX_QUERY_CHARS, MAX_QUERY_TERMS
from tests import webdata
from tests.test_web_api import bearer, browser, csrf_of
from tests.webdata import PASSWORD, WebData

fast_hashing, web_archive, web_app = webdata.fast_hashing, webdata.web_archive, webdata.web_app
HUGE = "99999999999999999999"
#: what an out-of-range request may be answered with
REFUSED = {400, 404}


# ── the password policy ──────────────────────────────────────────────────────────────


@pytest.mark.parametrize("password", ["password", "12345678", "short pass1", "1qaz2wsx3edc",
                                      "q1w2e3r4t5y6", "Q1W2E3R4T5Y6"])
def test_short_or_common_passwords_are_refused(password: str) -> None:
    with pytest.raises(ConfigError) as caught:
        passwords.check_password(password, "lin")
    assert caught.value.code in ("password.too_short", "password.common")


def test_the_common_list_is_the_shipped_data_and_a_good_password_passes() -> None:
    common = passwords.common_passwords()
    assert len(common) > 19000 and "password" in common and "123456" in common
    passwords.check_password("correct horse 12", "lin")
    with pytest.raises(ConfigError):
        passwords.check_password("administrator1", "administrator1")


# ── throttling and lockout ───────────────────────────────────────────────────────────


def _web_login(client: TestClient, name: str, password: str) -> bool:
    answer = client.post("/login", data={"name": name, "password": password,
                                         "csrf_token": csrf_of(client), "next": "/search"})
    return answer.headers["location"] == "/search"


def test_twenty_wrong_passwords_lock_the_account_until_an_admin_lifts_it(
        web_app: FastAPI, web_archive: tuple[Archive, WebData]) -> None:
    client = browser(web_app)
    for _ in range(throttle.ACCOUNT_LIMIT):
        assert not _web_login(client, "staff", "wrong password 1")
    assert not _web_login(client, "staff", PASSWORD)  # the right one, refused while locked
    page = client.get("/login").text
    assert "鎖定" in page
    api = TestClient(web_app).post("/api/login", json={"name": "staff", "password": PASSWORD})
    assert api.status_code == 401 and api.json()["code"] == "auth.locked"
    assert _web_login(browser(web_app), "officer1", PASSWORD)  # other accounts still log in

    admin = browser(web_app, "admin")
    listing = admin.get("/admin/lockouts").text
    assert "staff" in listing and "解除鎖定" in listing
    assert browser(web_app, "officer1").get("/admin/lockouts").status_code == 403
    lifted = admin.post("/admin/lockouts/lift", data={"scope": "account", "key": "staff",
                                                      "csrf_token": csrf_of(admin, "/search")})
    assert lifted.status_code == 303
    assert _web_login(browser(web_app), "staff", PASSWORD)
    with web_archive[0].session() as s:
        actions = [a for (a,) in s.execute(select(AuditEntry.action).where(
            AuditEntry.action.in_(("auth.lockout", "auth.login_locked", "auth.unlock"))))]
    assert actions.count("auth.lockout") == 1 and "auth.unlock" in actions
    assert actions.count("auth.login_locked") == 2


def test_failures_from_one_address_lock_the_address(web_archive: tuple[Archive, WebData]) -> None:
    archive = web_archive[0]
    for i in range(throttle.ADDRESS_LIMIT):
        with pytest.raises(AccessDenied):
            auth.login(archive, f"guess{i}", "wrong password 1", "203.0.113.9")
    with pytest.raises(AccessDenied) as caught:
        auth.login(archive, "staff", PASSWORD, "203.0.113.9")
    assert caught.value.code == "auth.locked"
    assert auth.login(archive, "staff", PASSWORD, "203.0.113.10")  # another address


def test_an_admin_lifts_a_lockout_from_the_command_line(
        web_archive: tuple[Archive, WebData]) -> None:
    archive = web_archive[0]
    for _ in range(throttle.ACCOUNT_LIMIT):
        with pytest.raises(AccessDenied):
            auth.login(archive, "clerk", "wrong password 1")
    token = auth.login(archive, "admin", PASSWORD)
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["user", "lockouts", "--json"], env={"RECORDS_TOKEN": token})
    assert listed.exit_code == 0 and '"key": "clerk"' in listed.stdout
    officer = auth.login(archive, "officer1", PASSWORD)
    refused = runner.invoke(cli_app, ["user", "unlock", "clerk"], env={"RECORDS_TOKEN": officer})
    assert refused.exit_code == 8
    done = runner.invoke(cli_app, ["user", "unlock", "clerk"], env={"RECORDS_TOKEN": token})
    assert done.exit_code == 0, done.output
    assert auth.login(archive, "clerk", PASSWORD)


# ── out-of-range parameters on every route ───────────────────────────────────────────


def _url(path: str) -> str:
    filled = re.sub(r"\{kind\}", "archival", path)
    filled = re.sub(r"\{[^}]+\}", HUGE, filled)
    return filled + f"?year=99999&offset={HUGE}&page={HUGE}&limit={HUGE}&before={HUGE}&q=x"


def _flat(routes: list[Any]) -> list[Any]:
    """Routes of the app and of every included router (newer FastAPI wraps those)."""
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out += _flat(inner.routes) if inner is not None else [route]
    return out


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    out = []
    for route in _flat(app.routes):
        if isinstance(route, APIRoute):
            out += [(method, route.path) for method in sorted(route.methods)]
        elif isinstance(route, Mount):
            out.append(("GET", route.path + "/" + HUGE))
    # logging out would end the walking sessions: last
    return sorted(out, key=lambda r: r[1].endswith("/logout"))


def test_every_route_answers_out_of_range_values_with_400_or_404(web_app: FastAPI) -> None:
    page, headers = browser(web_app, "officer1"), bearer(web_app, "officer1")
    csrf = csrf_of(page, "/search")
    walked: list[tuple[str, str, int]] = []
    for method, path in _routes(web_app):
        api = path.startswith("/api/")
        client_headers: dict[str, Any] = headers if api else {"x-csrf-token": csrf}
        answer = page.request(method, _url(path), headers=client_headers,
                              json={} if api and method == "POST" else None)
        walked.append((method, path, answer.status_code))
        assert answer.status_code < 500, (method, path, answer.text[:300])
        if "{" in path or (method == "GET" and path in ("/search", "/api/search", "/audit")):
            assert answer.status_code in REFUSED, (method, path, answer.status_code)
        if api and answer.status_code >= 400:
            assert answer.headers["content-type"] == "application/json", path
    assert len(walked) >= 40


def test_year_and_id_out_of_range_say_why_in_chinese(web_app: FastAPI) -> None:
    page = browser(web_app, "staff")
    answer = page.get("/search?q=臺南&year=99999")
    assert answer.status_code == 400 and "民國 1–999 年" in answer.text
    assert 'href="/dashboard"' in answer.text  # inside the layout, with the menu
    missing = page.get(f"/documents/{HUGE}")
    assert missing.status_code == 400 and "超出範圍" in missing.text
    assert page.get("/documents/2147483647").status_code == 404
    holds_form = page.post("/holds", data={"kind": "legal", "scope": "document", "target": HUGE,
                                           "reason": "x", "csrf_token": csrf_of(page, "/search")})
    assert holds_form.status_code in (303, 403)


def test_unknown_urls_get_the_layout_404_page_and_json_on_the_api(web_app: FastAPI) -> None:
    page = browser(web_app, "staff").get("/no/such/page")
    assert page.status_code == 404 and "找不到" in page.text and 'href="/search"' in page.text
    assert "Not Found" not in page.text
    api = TestClient(web_app).get("/api/no/such")
    assert api.status_code == 404 and api.json()["code"] == "http.404"


# ── bounded queries ──────────────────────────────────────────────────────────────────


def test_long_queries_and_many_terms_are_refused_with_a_clear_message(web_app: FastAPI) -> None:
    page, headers = browser(web_app, "staff"), bearer(web_app, "staff")
    long = page.get("/search", params={"q": "檔" * (MAX_QUERY_CHARS + 1)})
    assert long.status_code == 400 and f"最多 {MAX_QUERY_CHARS} 個字元" in long.text
    many = " ".join(f"t{i}" for i in range(MAX_QUERY_TERMS + 1))
    answer = TestClient(web_app).get("/api/search", params={"q": many}, headers=headers)
    assert answer.status_code == 400 and answer.json()["code"] == "search.too_many_terms"
    terms = " ".join(f"t{i}" for i in range(8000))
    assert page.get("/search", params={"q": terms}).status_code == 400


# ── every list and count filtered by clearance ───────────────────────────────────────


def test_holds_on_confidential_records_are_hidden_below_the_clearance(
        web_app: FastAPI, web_archive: tuple[Archive, WebData]) -> None:
    archive, data = web_archive
    with audited_session(archive) as s:
        officer = auth.user_actor(auth.get_user(s, "officer1"))
        holds.place(s, officer, HoldKind.legal, HoldScope.document, str(data.confidential_id),
                    "訴訟", "113年度訴字第123號")
    staff = TestClient(web_app).get("/api/holds", headers=bearer(web_app, "staff")).json()
    officer_view = TestClient(web_app).get("/api/holds", headers=bearer(web_app, "officer1"))
    assert staff["holds"] == []
    assert [h["reference"] for h in officer_view.json()["holds"]] == ["113年度訴字第123號"]
    assert "113年度訴字第123號" not in browser(web_app, "staff").get("/holds").text


def test_dashboard_counts_open_disposal_items_within_the_clearance(
        web_app: FastAPI, web_archive: tuple[Archive, WebData]) -> None:
    client = TestClient(web_app)
    officer = client.get("/api/dashboard", headers=bearer(web_app, "officer1")).json()
    assert officer["open_disposal_items"] == 1
    with web_archive[0].session() as s:
        item = s.get(DisposalItem, web_archive[1].disposal_item_id)
        assert item is not None
        item.file.confidentiality = "confidential"
        s.commit()
    staff = client.get("/api/dashboard", headers=bearer(web_app, "staff")).json()
    assert staff["open_disposal_items"] == 0


# ── the API documentation ────────────────────────────────────────────────────────────


def test_api_docs_come_from_local_assets_with_the_security_headers(web_app: FastAPI) -> None:
    client = TestClient(web_app)
    page = client.get("/api/docs")
    assert page.status_code == 200 and "cdn" not in page.text.lower()
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    for src in re.findall(r'(?:src|href)="(/[^"]+)"', page.text):
        asset = client.get(src)
        assert asset.status_code == 200 and len(asset.content) > 100, src
