"""Content store, file sniffing, discovery and manifests."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import ConfigError, InputFileError, IntegrityFailure, UnsupportedFileType
from pipeline.intake import discover, sniff
from pipeline.manifest import load_manifest
from pipeline.store import ContentStore, hash_file


def test_put_is_content_addressed_write_once_and_read_only(tmp_path: Path) -> None:
    src = tmp_path / "a.bin"
    src.write_bytes(b"scan" * 1000)
    store = ContentStore(tmp_path / "store")
    first = store.put(src, "original")
    second = store.put(src, "original")
    assert first == second
    assert first.sha256 == hash_file(src)[0]
    stored = store.path(first.relpath)
    assert stored.read_bytes() == src.read_bytes()
    assert stored.stat().st_mode & 0o222 == 0
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


def test_a_tampered_blob_is_detected_on_the_next_put(tmp_path: Path) -> None:
    src = tmp_path / "a.bin"
    src.write_bytes(b"original bytes")
    store = ContentStore(tmp_path / "store")
    blob = store.put(src, "original")
    path = store.path(blob.relpath)
    os.chmod(path, 0o644)
    path.write_bytes(b"flipped bytes!")
    assert not store.verify(blob.relpath, blob.sha256)
    with pytest.raises(IntegrityFailure):
        store.put(src, "original")


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"II*\x00rest", "image/tiff"),
        (b"MM\x00*rest", "image/tiff"),
        (b"\x89PNG\r\n\x1a\nrest", "image/png"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
    ],
)
def test_sniff_by_content_not_name(tmp_path: Path, head: bytes, media_type: str) -> None:
    path = tmp_path / "misleading.txt"
    path.write_bytes(head)
    assert sniff(path) == media_type


def test_sniff_refuses_empty_and_unknown(tmp_path: Path) -> None:
    empty, gif = tmp_path / "e.pdf", tmp_path / "x.png"
    empty.write_bytes(b"")
    gif.write_bytes(b"GIF89a....")
    with pytest.raises(InputFileError, match="empty"):
        sniff(empty)
    with pytest.raises(UnsupportedFileType):
        sniff(gif)


def test_discover_is_recursive_sorted_and_honours_ignores(tmp_path: Path) -> None:
    for rel in ("b/2.png", "a/1.pdf", ".hidden/x.png", "a/.DS_Store", "notes.md", "manifest.csv"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    (tmp_path / ".recordsignore").write_text("# comments allowed\n*.md\n")
    assert [i.name for i in discover([tmp_path])] == ["a/1.pdf", "b/2.png"]


def test_csv_manifest_joins_by_path_and_by_bare_name(tmp_path: Path) -> None:
    m = tmp_path / "manifest.csv"
    m.write_text(
        "file,box,division,operator,document_date\n"
        "box1/a.pdf,B1,文書科,王,2024-05-20\nc.png,B2,,,\n",
        encoding="utf-8",
    )
    manifest = load_manifest(m)
    entry = manifest.lookup("box1/a.pdf")
    assert entry is not None and entry.division == "文書科"
    assert entry.document_date is not None and entry.document_date.year == 2024
    other = manifest.lookup("deep/folder/c.png")
    assert other is not None and other.box == "B2" and other.division is None


def test_manifest_errors_name_the_line(tmp_path: Path) -> None:
    m = tmp_path / "manifest.csv"
    m.write_text("file,document_date\na.pdf,2024-01-01\nb.pdf,2024-13-45\n")
    with pytest.raises(ConfigError, match=r"manifest.csv:3: document_date"):
        load_manifest(m)


@given(st.sampled_from(["../etc/passwd", "/etc/passwd", "a/../../b.pdf", ""]))
def test_manifest_refuses_paths_outside_the_batch(bad: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        m = Path(d) / "manifest.json"
        m.write_text(json.dumps([{"file": bad}]))
        with pytest.raises(ConfigError, match="file"):
            load_manifest(m)


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "file": st.text(min_size=1, max_size=30),
                "document_date": st.one_of(st.none(), st.text(max_size=12), st.integers()),
                "box": st.one_of(st.none(), st.text(max_size=10), st.integers(), st.floats()),
            }
        ),
        max_size=5,
    )
)
def test_manifest_parser_never_crashes_on_junk(rows: list[dict[str, object]]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        m = Path(d) / "manifest.json"
        m.write_text(json.dumps(rows))
        with contextlib.suppress(ConfigError):  # a clear refusal is the only allowed failure
            load_manifest(m)
