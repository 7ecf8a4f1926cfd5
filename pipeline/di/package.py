"""Ingest step for a born-digital package: preserve every part, read the tags, plan pages.

A package is a folder as a document system exports it, or a zip of one (often named by
the 文號). Each part is copied write-once into the store (kind ``part``) before anything
parses it; the document's original is a small JSON manifest naming the parts by hash, so
the same package is recognised as a duplicate whatever its folder is called. The reading
copy (``pipeline.di.render``) is written to the job's work folder and its pages run through
the ordinary page step: the DI's pages come with their text, image attachments are OCR'd.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.archive import Archive
from pipeline.di.model import DiDocument, SignOff
from pipeline.di.parse import parse_di, parse_si
from pipeline.di.render import Attachment, render_reading_copy
from pipeline.di.sniff import is_zip, xml_role
from pipeline.di.xmlsafe import read_xml
from pipeline.errors import CorruptFile, ExternalProgramError, InputFileError, UnsupportedFileType
from pipeline.ingest import QUARANTINED, Job, Outcome, known_outcome, plan, record_blob, work_dir
from pipeline.intake import InputFile, sniff
from pipeline.manifest import ManifestEntry
from pipeline.pages import PageOptions
from pipeline.store import disk_errors, hash_file

PACKAGE_MEDIA_TYPE = "application/vnd.records.di-package+json"
MANIFEST_FORMAT = "records-di-package"
MAX_PARTS = 500
MAX_PACKAGE_BYTES = 1024 * 1024 * 1024
#: a zip member may not inflate more than this many times its compressed size
MAX_RATIO = 200


@dataclass(frozen=True)
class Part:
    """One file of a package, hashed, with what it is."""

    name: str
    path: Path
    sha256: str
    size: int
    media_type: str
    role: str = "other"

    def entry(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size,
                "media_type": self.media_type, "role": self.role}


@dataclass(frozen=True)
class Package:
    """What a package holds, read and ready to store."""

    parts: list[Part]
    di: DiDocument
    sign_offs: list[SignOff]


def prepare_package(
    archive: Archive, item: InputFile, entry: ManifestEntry | None, opts: PageOptions
) -> Job | Outcome:
    """Preserve, read and plan one package, or say why it goes no further."""
    tmp = archive.settings.work_dir / "packages"
    with disk_errors(f"cannot unpack {item.name} into {tmp}"):
        tmp.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=tmp, prefix="pkg-"))
    try:
        return _prepare(archive, item, entry, opts, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _prepare(archive: Archive, item: InputFile, entry: ManifestEntry | None,
             opts: PageOptions, work: Path) -> Job | Outcome:
    try:
        container, parts = collect(item.path, work)
        parts = _preserve(archive, [*([container] if container else []), *parts])
        package = read_package([p for p in parts if p.role != "container"])
    except InputFileError as exc:
        return Outcome(item.name, QUARANTINED, None, exc.reason)
    parts = [*(p for p in parts if p.role == "container"), *package.parts]
    manifest = manifest_bytes(parts)
    sha = hashlib.sha256(manifest).hexdigest()
    if known := known_outcome(archive, item.name, sha):
        return known
    try:
        return _plan(archive, item, entry, opts, work, package, manifest)
    except (InputFileError, ExternalProgramError) as exc:
        return Outcome(item.name, QUARANTINED, sha, str(exc))


def collect(path: Path, work: Path) -> tuple[Part | None, list[Part]]:
    """The container (a zip) and the parts of a package folder or zip, hashed."""
    if is_zip(path):
        return _part(path.name, path, "container"), _unzip(path, work / "unzipped")
    files = [f for f in sorted(path.rglob("*")) if f.is_file()
             and not any(p.startswith(".") for p in f.relative_to(path).parts)]
    if len(files) > MAX_PARTS:
        raise UnsupportedFileType(f"電子公文包檔案過多（{len(files)} 個）；too many files")
    parts = [_part(f.relative_to(path).as_posix(), f) for f in files]
    if sum(p.size for p in parts) > MAX_PACKAGE_BYTES:
        raise UnsupportedFileType("電子公文包過大；package too large")
    return None, parts


def _part(name: str, path: Path, role: str = "other") -> Part:
    sha, size = hash_file(path)
    return Part(name, path, sha, size, _media_type(path), role)


def _media_type(path: Path) -> str:
    if role := xml_role(path):
        return {"di": "application/vnd.records.di+xml", "si": "application/vnd.records.si+xml",
                "roster": "application/vnd.records.sw+xml"}[role]
    try:
        return sniff(path)
    except InputFileError:
        return "application/octet-stream"


def _unzip(path: Path, out: Path) -> list[Part]:
    """Members of a zip, bounded in number, size and inflation; names never become paths."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            _check_members(members)
            out.mkdir(parents=True)
            return [_extract(zf, m, out / f"{i:04d}") for i, m in enumerate(members)]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise CorruptFile(f"壓縮檔損毀或格式不支援；corrupt or unsupported zip ({exc})") from exc
    except RuntimeError as exc:  # encrypted members
        raise CorruptFile(f"壓縮檔有密碼保護；password-protected zip ({exc})") from exc


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_PARTS:
        raise UnsupportedFileType(f"壓縮檔內檔案過多（{len(members)} 個）；too many members")
    if sum(m.file_size for m in members) > MAX_PACKAGE_BYTES or any(
        m.file_size > MAX_RATIO * max(m.compress_size, 1024) for m in members
    ):
        raise UnsupportedFileType("壓縮檔展開後過大（壓縮炸彈）；zip inflates too much")


def _extract(zf: zipfile.ZipFile, member: zipfile.ZipInfo, dest: Path) -> Part:
    written = 0
    with zf.open(member) as src, dest.open("wb") as out:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > member.file_size:
                raise UnsupportedFileType("壓縮檔成員大小不實；zip member larger than declared")
            out.write(chunk)
    return _part(member.filename.replace("\\", "/"), dest)


def _preserve(archive: Archive, parts: list[Part]) -> list[Part]:
    """Copy every part into the store (write-once) before anything parses it."""
    with archive.session() as session:
        for part in parts:
            blob = archive.store.put(part.path, "part")
            record_blob(session, blob.sha256, "part", blob.size, part.media_type, blob.relpath)
    return parts


def read_package(parts: list[Part]) -> Package:
    """Parse the DI and SI of a package and give each part its role."""
    dis = [p for p in parts if p.media_type.endswith("di+xml")]
    sis = [p for p in parts if p.media_type.endswith("si+xml")]
    if not dis:
        raise UnsupportedFileType("電子公文包內沒有 DI 文書本文檔；no DI file in the package")
    sign_offs = parse_si(read_xml(sis[-1].path)) if sis else []
    main = _main_di(dis)
    xml = read_xml(main.path)
    for other in dis:
        if other is not main:
            read_xml(other.path)  # every DI version is checked: hostile ones quarantine all
    di = parse_di(xml)
    attached = {Path(xml.entities[e]).name.lower() for e in di.attachment_entities
                if e in xml.entities}
    roled = [replace(p, role=_role(p, main, attached)) for p in parts]
    return Package(roled, di, sign_offs)


def _main_di(dis: list[Part]) -> Part:
    """The DI of the last sign point: the last version by name (versions are numbered)."""
    return sorted(dis, key=lambda p: p.name)[-1]


def _role(part: Part, main: Part, attached: set[str]) -> str:
    if part is main:
        return "di"
    if part.media_type.endswith("di+xml"):
        return "di_version"
    if part.media_type.endswith("si+xml"):
        return "si"
    if part.media_type.endswith("sw+xml"):
        return "roster"
    if Path(part.name).name.lower() in attached:
        return "attachment"
    if part.media_type == "application/pdf" or part.media_type.startswith("image/"):
        return "page_image"
    return "other"


def manifest_bytes(parts: list[Part]) -> bytes:
    """The document's original: the parts by name, role and hash (canonical JSON)."""
    data = {"format": MANIFEST_FORMAT, "version": 1,
            "parts": sorted((p.entry() for p in parts), key=lambda e: (e["name"], e["sha256"]))}
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _plan(archive: Archive, item: InputFile, entry: ManifestEntry | None, opts: PageOptions,
          work: Path, package: Package, manifest: bytes) -> Job:
    (work / "manifest.json").write_bytes(manifest)
    original = archive.store.put(work / "manifest.json", "original")
    with archive.session() as session:
        record_blob(session, original.sha256, "original", original.size, PACKAGE_MEDIA_TYPE,
                    original.relpath)
    base = Job(name=item.name, source=str(item.path), sha256=original.sha256,
               size=original.size, relpath=original.relpath, manifest=entry)
    attachments = [Attachment(p.name, p.path, p.media_type) for p in package.parts
                   if p.role == "attachment" and p.media_type != "application/octet-stream"]
    # the reading copy lives in the job's shared work folder: the page step reads it there,
    # finalize makes the archival copy of it and then removes the folder
    with disk_errors(f"cannot write the reading copy of {item.name}"):
        target = work_dir(archive.settings.work_dir, base) / "reading.pdf"
        rendition = render_reading_copy(package.di, package.sign_offs, attachments, target,
                                        opts.dpi)
    planned = plan(rendition.path, base, opts)
    given = {p.number: p for p in rendition.pages}
    layers = {n: lp for n, lp in planned.layer_pages.items() if n not in given}
    return replace(planned, media_type=PACKAGE_MEDIA_TYPE, layer_pages=layers,
                   given_pages=given, pages_from=str(rendition.path))
