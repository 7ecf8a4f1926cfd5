"""Born-digital official documents (電子公文): DI/SI parsing, hostile XML, package ingest.

Hostile cases are checked for their outcome only (quarantined with a reason, nothing read
from outside the package); how long they take is measured in bench/, not asserted here.
"""

from __future__ import annotations

import json
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pipeline.archive import Archive
from pipeline.db.models import Document, DocumentPart, StoredFile
from pipeline.di.metadata import sign_off_dicts
from pipeline.di.package import PACKAGE_MEDIA_TYPE
from pipeline.di.parse import parse_di, parse_si, roc_minute
from pipeline.di.sniff import is_package_dir, xml_role
from pipeline.di.xmlsafe import HostileXml, read_xml
from pipeline.errors import CorruptFile
from pipeline.intake import discover
from pipeline.search import SearchFilters, SearchQuery
from pipeline.views import DocumentView
from tests import di_support
from tests.conftest import ingest_dir
from tests.di_support import ELECTRONIC, generator, sample, write_package

TRUTH: list[dict[str, Any]] = json.loads((ELECTRONIC / "ground_truth.json").read_text("utf-8"))
ALL = SearchFilters(clearance="confidential")


def _di_file(tmp_path: Path, folder: str) -> Path:
    s = sample(folder)
    path = tmp_path / "x.di"
    path.write_bytes(generator().di_bytes(s.di, s.encoding, s.bom, s.crlf))
    return path


# ── parsing: each kind, encodings, SI ────────────────────────────────────────────


@pytest.mark.parametrize("entry", TRUTH, ids=[e["kind"] for e in TRUTH])
def test_each_kind_is_read_from_its_tags(tmp_path: Path, entry: dict[str, Any]) -> None:
    di = parse_di(read_xml(_di_file(tmp_path, entry["package"].split("/")[1])))
    f = entry["fields"]
    assert di.kind == entry["kind"] == f["doc_kind"]
    assert di.doc_number == f["doc_number"]
    assert di.issued == date.fromisoformat(f["doc_date"])
    assert di.subject == f["subject"]
    assert di.urgency == f.get("urgency")
    assert di.classification == f.get("classification")
    assert di.declassify == f.get("declassify")
    assert di.file_number == f.get("file_number")
    assert di.retention == f.get("retention")


def test_a_note_and_a_meeting_notice_have_their_kind(tmp_path: Path) -> None:
    note = tmp_path / "note.di"
    note.write_text(di_support.MEMO_NOTE, encoding="utf-8")
    di = parse_di(read_xml(note))
    assert (di.kind, di.issued, di.unit) == ("便簽", date(2024, 8, 1), "臺南市政府秘書處總務科")
    assert di.sections[0].name == "說明：" and "濾心" in di.sections[0].text
    meeting = parse_di(read_xml(_di_file(tmp_path, "1130045678")))
    assert meeting.subject == "召開113年度檔案清查及銷毀作業協調會議"
    assert ("開會地點", "本府永華市政中心10樓第1會議室") in meeting.extra


def test_big5_and_utf8_with_bom_and_crlf_read_the_same(tmp_path: Path) -> None:
    s = sample("1130023456")
    texts = []
    for enc, bom, crlf in (("big5", False, True), ("utf-8", True, True), ("utf-8", False, False)):
        path = tmp_path / f"{enc}{bom}{crlf}.di"
        path.write_bytes(generator().di_bytes(s.di, enc, bom, crlf))
        doc = read_xml(path)
        texts.append(parse_di(doc).sections)
        assert doc.encoding == ("big5" if enc == "big5" else "utf-8")
    assert texts[0] == texts[1] == texts[2]


def test_wrong_declared_encoding_is_refused(tmp_path: Path) -> None:
    s = sample("1130023456")
    utf8_as_big5 = generator().di_bytes(s.di, "utf-8").replace(b'"UTF-8"', b'"big5"')
    big5_as_utf8 = generator().di_bytes(s.di, "big5").replace(b'"big5"', b'"UTF-8"')
    for data in (utf8_as_big5, big5_as_utf8):
        path = tmp_path / "wrong.di"
        path.write_bytes(data)
        with pytest.raises(CorruptFile, match="編碼"):
            read_xml(path)


def test_sign_off_chain_of_the_memo(tmp_path: Path) -> None:
    s = sample("1130034567.zip")
    path = tmp_path / "x.si"
    path.write_bytes(generator().si_bytes("x", s.signs, ["a.di"]))
    chain = parse_si(read_xml(path))
    assert [c.title for c in chain] == ["科員", "科長", "主任秘書", "秘書長"]
    assert chain[-1].action == "決行" and chain[-1].opinion == "如擬" and chain[-1].signed
    assert chain[1].signed_at == datetime(2024, 6, 18, 11, 5)


def test_roc_minutes() -> None:
    assert roc_minute("11306191530") == datetime(2024, 6, 19, 15, 30)
    assert roc_minute("1130619153045") == datetime(2024, 6, 19, 15, 30, 45)
    assert roc_minute("11313011530") is None and roc_minute("2024") is None


def test_packages_are_recognised_by_content(tmp_path: Path) -> None:
    data = _di_file(tmp_path, "1130012345").read_bytes()
    batch = tmp_path / "batch"
    folder = write_package(batch, "renamed.bin", {"a.txt": data, "b.pdf": b"%PDF-1.4"})
    assert xml_role(folder / "a.txt") == "di" and is_package_dir(folder)
    (batch / "scans").mkdir()
    (batch / "scans" / "x.xml").write_text("<root/>", encoding="utf-8")
    assert not is_package_dir(batch / "scans")
    assert [i.name for i in discover([batch])] == ["renamed.bin", "scans/x.xml"]
    assert [i.name for i in discover([folder])] == ["renamed.bin"]  # a package on its own


# ── hostile XML ──────────────────────────────────────────────────────────────────


def _hostile_cases(secret: Path) -> dict[str, str]:
    return {"billion-laughs": di_support.billion_laughs(),
            "external-entity": di_support.external_entity(secret),
            "parameter-entity": di_support.parameter_entity(secret),
            "deep-nesting": di_support.deep_nesting()}


@pytest.mark.parametrize("case", ["billion-laughs", "external-entity", "parameter-entity",
                                  "deep-nesting"])
def test_hostile_xml_is_refused_with_a_reason(tmp_path: Path, case: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    path = tmp_path / "evil.di"
    path.write_text(_hostile_cases(secret)[case], encoding="utf-8")
    with pytest.raises(HostileXml) as err:
        read_xml(path)
    assert "XML" in err.value.reason and "TOP-SECRET" not in err.value.reason


def test_oversized_xml_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.di"
    path.write_bytes(b"<" + b"a" * 2000 + b"/>")
    with pytest.raises(HostileXml, match="過大"):
        read_xml(path, limit=1000)


def test_hostile_packages_are_quarantined_and_nothing_outside_is_read(
    archive: Archive, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    batch = tmp_path / "batch"
    for case, text in _hostile_cases(secret).items():
        write_package(batch, case, {f"{case}.di": text.encode()})
    utf8 = generator().di_bytes(sample("1130023456").di, "utf-8")
    write_package(batch, "wrong-encoding", {"w.di": utf8.replace(b'"UTF-8"', b'"big5"')})
    summary = ingest_dir(archive, batch)
    reasons = {q["path"]: q["reason"] for q in summary["quarantined"]}
    assert summary["documents"] == 0 and set(reasons) == {*_hostile_cases(secret),
                                                         "wrong-encoding"}
    assert all("XML" in r or "編碼" in r for r in reasons.values()), reasons
    for blob in (archive.settings.store_dir).rglob("*"):
        assert not blob.is_file() or b"TOP-SECRET" not in blob.read_bytes()


def test_a_zip_without_a_di_is_quarantined(archive: Archive, tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "1130099999.zip", "w") as zf:
        zf.writestr("readme.txt", "no DI here")
    summary = ingest_dir(archive, tmp_path / "1130099999.zip")
    assert summary["documents"] == 0
    assert "沒有 DI" in summary["quarantined"][0]["reason"]


# ── ingest of the sample packages ────────────────────────────────────────────────


@pytest.fixture(scope="module")
def di_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import make_settings

    home = tmp_path_factory.mktemp("di") / "home"
    arch = Archive.open(make_settings(home))
    try:
        summary = ingest_dir(arch, ELECTRONIC)
        assert summary["documents"] == len(TRUTH)
        assert [q["path"] for q in summary["quarantined"]] == ["ground_truth.json"]
    finally:
        arch.close()
    return home


@pytest.fixture
def di_archive(di_home: Path, tmp_path: Path) -> Any:
    import shutil

    from tests.conftest import make_settings

    home = tmp_path / "home"
    shutil.copytree(di_home, home)
    arch = Archive.open(make_settings(home))
    yield arch
    arch.close()


def _shown(archive: Archive) -> dict[str, dict[str, Any]]:
    with archive.session() as session:
        docs = session.scalars(select(Document)).all()
        return {d.original_name: DocumentView.of(d, True).model_dump() for d in docs}


@pytest.mark.parametrize("entry", TRUTH, ids=[e["package"] for e in TRUTH])
def test_each_package_is_one_document_with_its_tags(di_archive: Archive,
                                                    entry: dict[str, Any]) -> None:
    shown = _shown(di_archive)[entry["package"].removeprefix("electronic/")]
    fields = shown["fields"]
    assert shown["media_type"] == PACKAGE_MEDIA_TYPE
    assert shown["title"] == entry["fields"]["subject"]
    assert shown["document_date"].isoformat() == entry["fields"]["doc_date"]
    assert shown["confidentiality"] == entry["confidentiality"]
    for key, value in entry["fields"].items():
        assert fields[key] == value, key
    assert shown["pages"][0]["source"] == "di"
    assert all(p["source"] != "ocr" for p in shown["pages"])
    chain = [{k: s[k] for k in ("signer", "title", "unit", "action", "signed_at", "opinion")}
             for s in shown["sign_offs"]]
    assert chain == entry["sign_offs"]
    roles = [p["role"] for p in shown["parts"]]
    assert roles.count("di") == 1 and roles.count("attachment") == entry["attachments"]


def test_attachment_pages_keep_their_text_layer(di_archive: Archive) -> None:
    shown = _shown(di_archive)["1130056789"]
    assert [p["source"] for p in shown["pages"]] == ["di", "text_layer"]
    assert "契約變更未依規定簽報核准" in shown["pages"][1]["text"]


def test_parts_are_kept_write_once_in_the_store(di_archive: Archive) -> None:
    with di_archive.session() as session:
        parts = session.scalars(select(DocumentPart)).all()
        blobs = [session.get(StoredFile, p.file_id) for p in parts]
        kinds = {p.role for p in parts}
        paths = [di_archive.store.path(b.store_path) for b in blobs if b is not None]
    assert {"di", "di_version", "si", "attachment", "container"} <= kinds
    assert all(p.is_file() and not p.stat().st_mode & 0o222 for p in paths)


@pytest.mark.parametrize("entry", TRUTH, ids=[e["package"] for e in TRUTH])
def test_search_finds_a_phrase_of_the_body_and_the_number(di_archive: Archive,
                                                          entry: dict[str, Any]) -> None:
    name = entry["package"].removeprefix("electronic/")
    with di_archive.session() as session:
        doc_id = session.scalar(select(Document.id).where(Document.original_name == name))
        phrase = entry["search_phrases"][0]["text"]
        hits = di_archive.search.search(session, SearchQuery(phrase, ALL)).hits
        assert [h.document_id for h in hits] == [doc_id]
        by_number = SearchFilters(clearance="confidential",
                                  fields={"doc_number": entry["fields"]["doc_number"]})
        result = di_archive.search.search(session, SearchQuery(phrase, by_number))
        assert [h.document_id for h in result.hits] == [doc_id]


def test_facets_count_kinds_and_agencies_and_dates_narrow(di_archive: Archive) -> None:
    with di_archive.session() as session:
        result = di_archive.search.search(session, SearchQuery("本府", ALL, limit=50))
        june = SearchFilters(clearance="confidential", date_from=date(2024, 6, 10),
                             date_to=date(2024, 6, 30))
        narrowed = di_archive.search.search(session, SearchQuery("本府", june, limit=50))
    assert result.facets["doc_kind"]["書函"] == 1 and result.facets["doc_kind"]["簽"] == 1
    assert result.facets["issuing_agency"]["臺南市政府"] >= 4
    assert set(narrowed.facets["doc_kind"]) == {"書函", "簽", "開會通知單", "函"}


def test_a_staff_search_does_not_see_the_confidential_letter(di_archive: Archive) -> None:
    with di_archive.session() as session:
        hits = di_archive.search.search(session, SearchQuery("聯絡窗口名單")).hits
    assert hits == []


def test_the_same_packages_again_are_duplicates(di_archive: Archive, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "renamed"
    shutil.copytree(ELECTRONIC, copy)
    (copy / "ground_truth.json").unlink()
    summary = ingest_dir(di_archive, copy)
    assert (summary["documents"], summary["duplicates"]) == (0, len(TRUTH))


def test_an_image_attachment_is_ocrd_and_the_di_is_not(archive: Archive, tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    s = sample("1130056789")
    s.di.attachment_entities = {"ATTCH1": "photo.png"}
    image = Image.new("L", (1200, 400), 255)
    ImageDraw.Draw(image).rectangle((100, 100, 1100, 300), outline=0, width=8)
    image.save(tmp_path / "photo.png")
    files = {"a.di": generator().di_bytes(s.di), "photo.png": (tmp_path / "photo.png").read_bytes()}
    summary = ingest_dir(archive, write_package(tmp_path, "pkg", files))
    assert summary["documents"] == 1
    with archive.session() as session:
        doc = session.scalars(select(Document)).one()
        assert [p.source for p in doc.pages] == ["di", "ocr"]


def _web_app(archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The web application over ``archive``, with the test users (cheap password hashes)."""
    from argon2 import PasswordHasher

    from pipeline import auth
    from tests.webdata import add_users
    from web.app import create_app

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    add_users(archive)
    return create_app(archive.settings, secret="test-secret")


def _staff(app: Any) -> Any:
    """A browser logged in as the staff user."""
    import re

    from fastapi.testclient import TestClient

    from tests.webdata import PASSWORD

    client = TestClient(app, follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    client.post("/login", data={"name": "staff", "password": PASSWORD,
                                "csrf_token": token.group(1), "next": "/search"})
    return client


def test_the_web_page_shows_the_sign_off_chain(di_archive: Archive, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with di_archive.session() as session:
        memo = session.scalar(select(Document.id).where(
            Document.original_name == "1130034567.zip"))
    app = _web_app(di_archive, tmp_path, monkeypatch)
    try:
        client = _staff(app)
        page = client.get(f"/documents/{memo}").text
    finally:
        app.state.archive.close()
    chain = page[page.index('id="sign-offs"'):]
    for who in ("陳怡君", "林志明", "王美華", "張大同"):
        assert who in chain
    assert "決行" in chain and "請秘書長核示" in chain


@pytest.mark.opensearch
@pytest.mark.postgres
def test_opensearch_on_postgres_filters_and_counts_the_tagged_fields(tmp_path: Path) -> None:
    from tests.services import backend_archive, refresh

    batch = tmp_path / "batch"
    batch.mkdir()
    for name in ("1130023456", "1130034567.zip"):
        src = ELECTRONIC / name
        if src.is_dir():
            write_package(batch, name, {f.name: f.read_bytes() for f in src.iterdir()})
        else:
            (batch / name).write_bytes(src.read_bytes())
    with backend_archive("opensearch-postgres", tmp_path / "home") as arch:
        assert ingest_dir(arch, batch)["documents"] == 2
        refresh(arch)
        with arch.session() as session:
            memo = session.scalar(select(Document.id).where(
                Document.original_name == "1130034567.zip"))
            number = SearchFilters(fields={"doc_number": "府秘專字第1130034567號"})
            by_number = arch.search.search(session, SearchQuery("展示", number))
            everything = arch.search.search(session, SearchQuery("本府", SearchFilters()))
            june = SearchFilters(date_from=date(2024, 6, 15), date_to=date(2024, 6, 30))
            late = arch.search.search(session, SearchQuery("本府", june))
            chain = sign_off_dicts(session, memo)
    assert [h.document_id for h in by_number.hits] == [memo]
    assert everything.facets["doc_kind"] == {"書函": 1, "簽": 1}
    assert everything.facets["issuing_agency"] == {"臺南市政府": 1}
    assert {h.document_id for h in late.hits} == {memo}
    assert [s["signer"] for s in chain] == ["陳怡君", "林志明", "王美華", "張大同"]


def test_transfer_bags_carry_the_parts_and_the_chain(di_archive: Archive, tmp_path: Path) -> None:
    from pipeline import transfer

    with di_archive.session() as session:
        doc = session.scalars(select(Document).where(
            Document.original_name == "1130034567.zip")).one()
        files = transfer._copy_blobs(di_archive, session, doc, tmp_path)
        meta = transfer._document_metadata(session, doc, "1", "", files)
    assert [s["signer"] for s in meta["sign_offs"]] == ["陳怡君", "林志明", "王美華", "張大同"]
    copied = sorted(p.name for p in (tmp_path / "parts").iterdir())
    assert len(copied) == len(meta["parts"]) == 5  # zip, three DI versions, SI
    assert any(name.endswith(".si") for name in copied)


def test_destroying_a_package_destroys_its_parts(di_archive: Archive) -> None:
    from pipeline.destruction import _blob_rows

    with di_archive.session() as session:
        doc = session.scalars(select(Document).where(
            Document.original_name == "1130056789")).one()
        kinds = sorted(b.kind for b in _blob_rows(session, doc))
    assert kinds == ["archival", "original", "part", "part", "part"]


def test_the_web_search_offers_kind_and_agency_facets(di_archive: Archive, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    app = _web_app(di_archive, tmp_path, monkeypatch)
    try:
        client = _staff(app)
        page = client.get("/search", params={"q": "本府"}).text
        narrowed = client.get("/search", params={"q": "本府", "field": "doc_kind=書函"}).text
    finally:
        app.state.archive.close()
    kinds = page[page.index('data-facet="doc_kind"'):]
    assert "書函" in kinds and "field=doc_kind%3D%E6%9B%B8%E5%87%BD" in kinds
    assert 'data-facet="issuing_agency"' in page
    assert "停車場" in narrowed and "紀念品" not in narrowed
