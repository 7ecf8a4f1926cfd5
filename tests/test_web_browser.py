"""End to end in headless Chromium (Debian's, driven by playwright; no browser download).

A live server on 127.0.0.1 serves the ingested sample batch; each person is a separate
browser context (own cookies), as two officers at two desks would be. The flows: staff
search and open the right page with the hit drawn on the image; staff without clearance
neither find nor open a confidential document; two officers approve a disposal and one
alone cannot, then one executes it with a supervisor and the document keeps only its
tombstone; the whole destruction-list procedure (list, the authority's letter, two
officers, supervisors behind a confirmation, certificate); the transfer from appraisal to
the bag downloaded and checked; posts without the CSRF token are refused; twenty wrong
passwords lock an account until an admin lifts the lockout; the API documentation renders
offline; every page on the way is checked for interface text left in English.
Screenshots of the search page, a document page, the disposal queue, a destruction list,
a certificate, a transfer and the lockout page are written to docs/img (or
``RECORDS_SCREENSHOT_DIR``) for the README and docs/web.md.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import bagit
import pytest
import uvicorn
from fastapi import FastAPI

from pipeline import throttle
from pipeline.archive import Archive
from tests import webdata
from tests.untranslated import untranslated
from tests.webdata import (
    CONFIDENTIAL_PHRASE,
    PAGE_NUMBER,
    PAGE_PHRASE,
    PASSWORD,
    WebData,
)
from web.app import create_app

# fixtures shared with the other web tests
fast_hashing, web_archive = webdata.fast_hashing, webdata.web_archive
web_app = webdata.web_app
pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(os.environ.get("RECORDS_SCREENSHOT_DIR", ROOT / "docs" / "img"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1360, "height": 900}
AUTHORITY_REF = "檔徵字第1150000123號"

if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn in a background thread, on a free loopback port."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(web_app: FastAPI) -> Iterator[str]:
    with serving(web_app) as base:
        yield base


@pytest.fixture
def procedure_server(sample_archive: Archive, fast_hashing: None, tmp_path: Path,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, WebData, str]]:
    """The samples with a queued item on no list yet and a file flagged for transfer;
    yields the server's address, the test data and the transfer file's number."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    data = webdata.prepare(sample_archive, listed=False)
    number = webdata.add_transfer_file(sample_archive)
    app = create_app(sample_archive.settings, secret="test-secret")
    try:
        with serving(app) as base:
            yield base, data, number
    finally:
        app.state.archive.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium; playwright gives it a fresh temporary profile."""
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


def person(chromium: Any, base: str, name: str) -> Any:
    """A new browser session (own cookie jar) logged in as ``name``."""
    context = chromium.new_context(viewport=VIEWPORT, base_url=base, locale="zh-TW")
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/search")
    assert name in page.inner_text("#whoami")
    return page


def shot(page: Any, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=full_page)


def _search(page: Any, words: str) -> None:
    page.fill("#search-form input[name=q]", words)
    with page.expect_navigation():
        page.click("#search-form button[type=submit]")


def test_staff_search_opens_the_right_page_with_the_hit_highlighted(
        chromium: Any, live_server: str, web_archive: tuple[Archive, WebData]) -> None:
    page = person(chromium, live_server, "staff")
    _search(page, "臺南市政府")  # a broad search, for the screenshot: many hits and facets
    assert page.locator("li.hit").count() == 10 and page.locator(".facet").count() >= 2
    shot(page, "web-search.png", full_page=False)
    _search(page, PAGE_PHRASE)
    assert "共 1 件文件符合" in page.inner_text("#total")
    assert page.inner_text(".snippet mark") == PAGE_PHRASE
    with page.expect_navigation():
        page.click("a.hit-title")
    page.wait_for_load_state("networkidle")
    assert f"/documents/{web_archive[1].paged_id}?page={PAGE_NUMBER}" in page.url
    assert page.inner_text(".pages a.on") == f"第 {PAGE_NUMBER} 頁"
    image = page.locator(".pageview img")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    boxes = page.locator("rect.hitbox")
    assert boxes.count() >= 1
    img_box, hit_box = image.bounding_box(), boxes.first.bounding_box()
    assert img_box is not None and hit_box is not None
    assert img_box["x"] <= hit_box["x"] and hit_box["x"] + hit_box["width"] <= \
        img_box["x"] + img_box["width"]
    assert img_box["y"] <= hit_box["y"] <= img_box["y"] + img_box["height"]
    assert page.inner_text("#page-text mark") == PAGE_PHRASE
    shot(page, "web-document.png", full_page=False)


def test_staff_without_clearance_neither_finds_nor_opens_a_confidential_document(
        chromium: Any, live_server: str, web_archive: tuple[Archive, WebData]) -> None:
    secret = web_archive[1].confidential_id
    staff = person(chromium, live_server, "staff")
    _search(staff, CONFIDENTIAL_PHRASE)
    assert "共 0 件文件符合" in staff.inner_text("#total")
    assert staff.locator(".facet").count() == 0
    for path in (f"/documents/{secret}", f"/documents/{secret}/pages/1.png",
                 f"/documents/{secret}/download/original"):
        assert staff.goto(path).status == 404, path
    assert staff.request.get(f"/api/documents/{secret}").status == 401  # no cookie auth
    officer = person(chromium, live_server, "officer1")
    _search(officer, CONFIDENTIAL_PHRASE)
    assert "共 1 件文件符合" in officer.inner_text("#total")
    assert officer.goto(f"/documents/{secret}").status == 200


def _approve(page: Any, item: int) -> str:
    """One officer's confirmation of an item (the 核准文號 is the list's, not typed)."""
    page.goto("/disposal")
    form = page.locator(f"#item-{item} form.approve-form")
    form.locator("input[name=reason]").fill("保存年限屆滿，依銷毀目錄辦理")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    return str(page.inner_text(f"#item-{item}-status"))


def test_two_officers_approve_a_disposal_and_one_alone_cannot(
        chromium: Any, live_server: str, web_archive: tuple[Archive, WebData]) -> None:
    item = web_archive[1].disposal_item_id
    first = person(chromium, live_server, "officer1")
    second = person(chromium, live_server, "officer2")
    assert _approve(first, item) == "待核准"
    assert "officer1" in first.inner_text(f"#item-{item} .approvals")
    assert _approve(first, item) == "待核准"
    assert "須由另一位檔案管理人員核准" in first.inner_text(".flash.error")
    shot(first, "web-disposal.png")
    assert _approve(second, item) == "已核准"
    first.reload()
    assert first.inner_text(f"#item-{item}-status") == "已核准"
    assert webdata.AUTHORITY_REF in first.inner_text(f"#item-{item} .approvals")
    assert first.locator(f"#item-{item} a.execute-link").count() == 1


def test_posts_without_csrf_token_are_refused(
        chromium: Any, live_server: str, web_archive: tuple[Archive, WebData]) -> None:
    item = web_archive[1].disposal_item_id
    page = person(chromium, live_server, "officer1")
    answer = page.request.post(f"/disposal/{item}/approve", form={"reason": "x"})
    assert answer.status == 403
    page.goto("/disposal")
    page.locator(f"#item-{item} form.approve-form input[name=csrf_token]").evaluate(
        "input => input.remove()")
    form = page.locator(f"#item-{item} form.approve-form")
    form.locator("input[name=reason]").fill("forged")
    with page.expect_navigation() as nav:
        form.locator("button[type=submit]").click()
    assert nav.value.status == 403
    assert "表單已失效" in page.inner_text("main")
    page.goto("/disposal")
    assert page.inner_text(f"#item-{item} .approvals") == "—"


def _no_english(page: Any) -> None:
    left = untranslated(page.content())
    assert not left, f"{page.url}: untranslated {sorted(set(left))}"


def test_search_lists_each_document_once_under_its_subject(
        chromium: Any, live_server: str, web_archive: tuple[Archive, WebData]) -> None:
    page = person(chromium, live_server, "officer1")
    _search(page, "採購")
    _no_english(page)
    ids = page.locator("li.hit").evaluate_all("els => els.map(e => e.dataset.document)")
    titles = page.locator("a.hit-title").all_inner_texts()
    assert ids and len(ids) == len(set(ids))
    total = int("".join(ch for ch in page.inner_text("#total").split("件")[0] if ch.isdigit()))
    assert total == len(ids)
    assert not [t for t in titles if t.startswith(("檔號", "報修編號"))], titles
    assert any("耐震補強" in t for t in titles), titles
    letter = page.locator("li.hit", has_text="檔案銷毀目錄")
    if letter.count():
        assert letter.locator(".hit-pages a").count() >= 1


def _execute(page: Any, item: int, supervisors: str) -> None:
    """From the item's card to the confirmation page, then destroy with the supervisors."""
    page.goto("/disposal")
    with page.expect_navigation():
        page.click(f"#item-{item} a.execute-link")
    assert "/execute" in page.url and "永久銷毀" in page.inner_text("main")
    _no_english(page)
    form = page.locator("form.execute-form")
    form.locator("textarea[name=supervisors]").fill(supervisors)
    form.locator("button[type=submit]").click()  # the box is not ticked: the browser stops it
    assert "/execute" in page.url
    form.locator("input[name=confirm]").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_disposal_to_certificate_in_chinese(
        chromium: Any, live_server: str, web_archive: tuple[Archive, WebData]) -> None:
    data = web_archive[1]
    first = person(chromium, live_server, "officer1")
    second = person(chromium, live_server, "officer2")
    _approve(first, data.disposal_item_id)
    _no_english(first)
    assert _approve(second, data.disposal_item_id) == "已核准"
    _execute(second, data.disposal_item_id, "政風室 王大明")
    assert "銷毀證明編號" in second.inner_text(".flash.ok")
    assert f"/disposal/{data.disposal_item_id}/certificate" in second.url
    assert "王大明" in second.inner_text("#certificate-supervisors")
    assert second.inner_text("#certificate-ref") == webdata.AUTHORITY_REF
    _no_english(second)
    second.goto(f"/documents/{data.disposal_doc_id}")
    assert "本檔案已依核准銷毀" in second.inner_text("main")
    _no_english(second)
    for path in ("/audit", "/dashboard", "/holds", "/transfer", "/review", "/disposal",
                 "/disposal/sweep?as_of=2090-01-01"):
        second.goto(path)
        _no_english(second)
    second.goto("/disposal")
    row = second.locator(f"#closed-{data.disposal_item_id}")  # history keeps the executed item
    assert "已銷毀" in row.inner_text() and "政風室 王大明" in row.inner_text()


def test_twenty_wrong_passwords_lock_the_account_until_an_admin_lifts_it(
        chromium: Any, live_server: str, web_archive: tuple[Archive, WebData]) -> None:
    context = chromium.new_context(viewport=VIEWPORT, base_url=live_server, locale="zh-TW")
    page = context.new_page()
    for password in ["wrong password 1"] * throttle.ACCOUNT_LIMIT + [PASSWORD]:
        page.goto("/login")
        page.fill("input[name=name]", "staff")
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form.stack button[type=submit]")
    assert "/login" in page.url and "鎖定" in page.inner_text(".flash.error")
    _no_english(page)
    admin = person(chromium, live_server, "admin")
    admin.goto("/admin/lockouts")
    row = admin.locator("#lockouts tr", has_text="staff")
    assert row.count() == 1
    _no_english(admin)
    shot(admin, "web-lockouts.png", full_page=False)
    with admin.expect_navigation():
        row.locator("button[type=submit]").click()
    assert "已解除" in admin.inner_text(".flash.ok")
    assert "staff" in person(chromium, live_server, "staff").inner_text("#whoami")


def test_out_of_range_and_unknown_urls_answer_inside_the_layout(
        chromium: Any, live_server: str, web_archive: tuple[Archive, WebData]) -> None:
    page = person(chromium, live_server, "staff")
    for path, status in (("/documents/99999999999999999999", 400),
                         ("/search?q=臺南&year=99999", 400), ("/no/such/page", 404)):
        assert page.goto(path).status == status, path
        assert page.locator("header.top nav a[href='/search']").count() == 1
        _no_english(page)


def test_api_documentation_renders_offline(
        chromium: Any, live_server: str, web_archive: tuple[Archive, WebData]) -> None:
    context = chromium.new_context(viewport=VIEWPORT, base_url=live_server, offline=False)
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(live_server) and not r.url.startswith("data:") else None)
    page.goto("/api/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20000)
    assert "records API" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock").count() >= 10
    assert outside == []


def test_destruction_list_procedure_from_list_to_certificate(
        chromium: Any, procedure_server: tuple[str, WebData, str]) -> None:
    """List made -> printed -> authority's approval recorded -> two officers -> supervisors
    named behind a confirmation -> certificate viewed and printed."""
    base, data, _number = procedure_server
    item = data.disposal_item_id
    first = person(chromium, base, "officer1")
    first.goto("/disposal")
    assert "尚未列入銷毀目錄" in first.inner_text(f"#item-{item}")
    with first.expect_navigation():
        first.click("#list-create button[type=submit]")
    assert "/disposal/lists/" in first.url and "已編製銷毀目錄" in first.inner_text(".flash.ok")
    assert first.inner_text("#list-status") == "待檔案管理局核准"
    assert first.locator("#list-rows tbody tr").count() == 1
    _no_english(first)
    pdf = first.request.get(str(first.get_attribute("#list-pdf", "href")))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    assert b"NotoSansCJK" in pdf.body()  # the CJK font is embedded
    list_url = first.url
    assert "尚未登錄檔案管理局核准文號" in _flash_after_approve(first, item)
    first.goto(list_url)
    _record_letter(first, "abc")
    assert "格式不符" in first.inner_text(".flash.error")
    _record_letter(first, AUTHORITY_REF)
    assert first.inner_text("#list-status") == "檔案管理局已核准"
    assert first.inner_text("#list-ref") == AUTHORITY_REF
    shot(first, "web-destruction-list.png", full_page=False)
    assert _approve(first, item) == "待核准"
    second = person(chromium, base, "officer2")
    assert _approve(second, item) == "已核准"
    _execute(second, item, "政風室 王大明\n會計室 李小華")
    assert "銷毀證明編號" in second.inner_text(".flash.ok")
    assert second.inner_text("#certificate-ref") == AUTHORITY_REF
    watchers = second.inner_text("#certificate-supervisors")
    assert "王大明" in watchers and "會計室" in watchers and "李小華" in watchers
    assert "相符" in second.inner_text("#certificate-check")
    _no_english(second)
    shot(second, "web-certificate.png")
    printed = second.request.get(str(second.get_attribute("#certificate-print", "href")))
    assert printed.status == 200 and "檔案銷毀證明" in printed.text() and "李小華" in printed.text()


def _flash_after_approve(page: Any, item: int) -> str:
    _approve(page, item)
    return str(page.inner_text(".flash.error"))


def _record_letter(page: Any, ref: str) -> None:
    form = page.locator("#list-approval form")
    form.locator("input[name=authority_ref]").fill(ref)
    form.locator("input[name=approved_on]").fill(date.today().isoformat())
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_transfer_from_appraisal_to_bag_download(
        chromium: Any, procedure_server: tuple[str, WebData, str], tmp_path: Path) -> None:
    """Appraisal -> 移轉目錄 -> authority's approval -> export -> the bag downloaded in
    the browser, its checksum matching, never a server path -> receipt confirmed."""
    base, _data, number = procedure_server
    page = person(chromium, base, "officer1")
    page.goto("/transfer")
    row = page.locator("#candidates tr", has_text=number)
    assert "尚未辦理移轉前鑑定" in row.inner_text()
    assert page.locator("#transfer-list-create button").is_disabled()
    _no_english(page)
    form = row.locator("form.appraise-form")
    form.locator("select[name=decision]").select_option("transfer")
    form.locator("input[name=reason]").fill("具永久保存價值")
    form.locator("input[name=report_ref]").fill("鑑定報告 115-1")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "已登錄鑑定" in page.inner_text(".flash.ok")
    assert "可列入移轉目錄" in page.locator("#candidates tr", has_text=number).inner_text()
    with page.expect_navigation():
        page.click("#transfer-list-create button")
    assert page.inner_text("#transfer-status") == "移轉目錄待核"
    assert page.locator("#transfer-export").count() == 0  # the approval comes first
    assert number in page.inner_text("#transfer-rows")
    _no_english(page)
    form = page.locator("#transfer-approval form")
    form.locator("input[name=authority_ref]").fill(AUTHORITY_REF)
    form.locator("input[name=approved_on]").fill(date.today().isoformat())
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.inner_text("#transfer-status") == "已核准，待匯出"
    with page.expect_navigation():
        page.click("#transfer-export button")
    assert page.inner_text("#transfer-status") == "已匯出，待接收"
    assert str(tmp_path / "home") not in page.content()  # the bag's place stays on the server
    _no_english(page)
    shot(page, "web-transfer.png", full_page=False)
    _check_bag(page, tmp_path / "unpacked")
    with page.expect_navigation():
        page.fill("#transfer-confirm input[name=receipt_ref]", "國家發展委員會檔案管理局接收 115-7")
        page.click("#transfer-confirm button")
    assert page.inner_text("#transfer-status") == "已確認接收"
    _no_english(page)


def _check_bag(page: Any, folder: Path) -> None:
    """The bag as the browser saves it: the ZIP's SHA-256 is the one the server announced,
    it unpacks to a valid BagIt bag, and its tag manifest is the one recorded at export."""
    with page.expect_download() as download:
        page.click("#bag-download")
    saved = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.endswith(".zip")
    answer = page.request.get(str(page.get_attribute("#bag-download", "href")))
    digest = answer.headers["repr-digest"]
    assert digest == f"sha-256=:{base64.b64encode(hashlib.sha256(saved).digest()).decode()}:"
    assert answer.body() == saved
    folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(saved)) as pack:
        pack.extractall(folder)
    (bag_dir,) = list(folder.iterdir())
    bagit.Bag(str(bag_dir)).validate()
    shown = page.inner_text("#tagmanifest")
    assert hashlib.sha256((bag_dir / "tagmanifest-sha256.txt").read_bytes()).hexdigest() == shown
