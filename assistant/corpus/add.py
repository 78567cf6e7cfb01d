"""`corpus add PAPER.pdf [--doi DOI]`: validate a user's PDF and copy it into corpus/user/ with a sidecar.

What `corpus add` accepts, the next `index build` indexes: the PDF is also read by the builder's own reader
(``read_pdf``, which opens PDFs whose user password is empty), the file name it gets is one the builder lists
(never hidden, never a temporary-file name), and a second, different PDF of a paper already in corpus/user/ is
refused, because the builder would skip it as a duplicate document.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import PyPdfError

from assistant import atomicio
from assistant.corpus.cache import (
    now_iso,
    paper_slug,
    read_sidecar,
    sidecar_path,
)
from assistant.corpus.contracts import make_paper_id, normalise_doi, sha256_bytes
from assistant.corpus.fetch.crossref import biblio_from_work, fetch_work
from assistant.corpus.fetch.http import PoliteClient
from assistant.corpus.inventory import LocalFile, id_forms, scan_sidecar_files
from assistant.corpus.manifest import load_manifest
from assistant.corpus.readers.dispatch import is_corpus_file
from assistant.corpus.readers.pdf import read_pdf
from assistant.errors import CorpusError, FetchError, ReaderError
from assistant.settings import Settings

log = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
MIN_TEXT_CHARS = 50
TEXT_PAGES = 5
LOOKUP_TIMEOUT_S = 10.0
DOI_RE = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)


@dataclass
class AddResult:
    path: Path
    meta: dict[str, Any]
    already_present: bool = False


def validate_pdf(path: Path, max_mb: float) -> tuple[bytes, PdfReader, str]:
    """Bytes, reader and first pages' text of a PDF that passes every check; CorpusError otherwise."""
    if not path.is_file():
        raise CorpusError(f"{path}: no such file.")
    size = path.stat().st_size
    if size > max_mb * 1024 * 1024:
        raise CorpusError(f"{path}: {size / 1024 / 1024:.1f} MB is more than the {max_mb:g} MB limit "
                          "(raise it with RTMS_MAX_PDF_MB if the file is genuine).")
    data = path.read_bytes()
    if PDF_MAGIC not in data[:1024]:
        raise CorpusError(f"{path}: not a PDF (no %PDF- header); renaming a file does not make it a PDF. "
                          "Export or convert it to PDF first.")
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except (PyPdfError, ValueError, OSError) as exc:
        raise CorpusError(f"{path}: damaged PDF ({exc}). Download it again.") from None
    if encrypted and not _opens_without_password(reader):
        raise CorpusError(f"{path}: the PDF is encrypted. Save an unencrypted copy (e.g. `qpdf --decrypt "
                          "in.pdf out.pdf`) and add that.")
    try:
        text = "\n".join(p.extract_text() or "" for p in reader.pages[:TEXT_PAGES])
    except (PyPdfError, ValueError, KeyError) as exc:
        raise CorpusError(f"{path}: its text cannot be read ({exc}).") from None
    if sum(ch.isalnum() for ch in text) < MIN_TEXT_CHARS:
        raise CorpusError(f"{path}: no readable text on its first pages (a scan?). Run OCR on it "
                          "(e.g. `ocrmypdf in.pdf out.pdf`) and add the result.")
    try:
        read_pdf(path)  # the index builder's reader: what it cannot read is refused here, with its reason
    except ReaderError as exc:
        raise CorpusError(f"the index builder could not read it: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - any reader failure means the build would skip the file
        raise CorpusError(f"{path}: the index builder could not read it ({type(exc).__name__}: {exc}).") from None
    return data, reader, text


def _opens_without_password(reader: PdfReader) -> bool:
    """An encrypted PDF whose user password is empty opens in any viewer, and the index builder reads it."""
    try:
        return reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except Exception:  # noqa: BLE001 - unsupported encryption: treated as locked
        return False


def _info(reader: PdfReader) -> Any:
    try:
        return reader.metadata or {}
    except (PyPdfError, ValueError, KeyError):
        return {}


def _pdf_biblio(reader: PdfReader, fallback_title: str) -> dict[str, Any]:
    info = _info(reader)
    title = str(getattr(info, "title", None) or "").strip()
    author = str(getattr(info, "author", None) or "").strip()
    authors = [a.strip() for a in re.split(r";|,| and ", author) if a.strip()] if author else []
    year = None
    try:
        created = getattr(info, "creation_date", None)
        year = created.year if created else None
    except (ValueError, TypeError):
        year = None
    return {"title": title or fallback_title, "authors": authors, "year": year, "journal": None}


def find_doi(reader: PdfReader, text: str) -> str | None:
    """A DOI from the PDF's metadata or its first page, if one is printed there."""
    info = _info(reader)
    for key in ("/doi", "/DOI", "/prism:doi"):
        if info.get(key):
            return normalise_doi(str(info[key]))
    first = text[:5000]
    m = DOI_RE.search(first)
    return normalise_doi(m.group(1).rstrip(".,;)")) if m else None


def crossref_biblio(settings: Settings, doi: str) -> dict[str, Any] | None:
    """Crossref metadata for ``doi``; None when offline, unknown or anything goes wrong (quietly)."""
    client = PoliteClient(settings, retries=0, timeout_s=min(LOOKUP_TIMEOUT_S, settings.http_timeout_s))
    try:
        got = fetch_work(client, doi)
    except FetchError as exc:
        log.info("Crossref lookup of %s failed (%s); using the PDF's own metadata", doi, exc)
        return None
    return biblio_from_work(got[0]) if got else None


def safe_stem(stem: str) -> str:
    """A file-name stem the index builder lists: letters, digits, '.', '_', '-', never starting with '.' (hidden)
    or ending like a temporary file; 'paper' when nothing is left."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)[:80].lstrip("._-").rstrip(".")
    return stem or "paper"


def _destination(user_dir: Path, data_sha: str, doi: str | None, original: Path,
                 files: list[LocalFile] | None = None) -> tuple[Path, bool]:
    for f in scan_sidecar_files(user_dir) if files is None else files:
        if f.meta.get("sha256") == data_sha:
            return f.path, True
    stem = safe_stem(paper_slug(make_paper_id(doi)) if doi else original.stem)
    dest = user_dir / f"{stem}.pdf"
    if dest.exists():
        dest = user_dir / f"{stem}-{data_sha[:8]}.pdf"
    return dest, False


def _same_paper(user_dir: Path, paper_id: str, data_sha: str, files: list[LocalFile] | None = None) -> Path | None:
    """Another PDF in corpus/user/ of the same paper (the builder indexes one document per paper and kind)."""
    for f in scan_sidecar_files(user_dir) if files is None else files:
        if f.meta.get("paper_id") == paper_id and f.meta.get("sha256") != data_sha:
            return f.path
    return None


def add_pdf(settings: Settings, pdf: Path, doi: str | None = None, *, online: bool = True) -> AddResult:
    """Validate ``pdf``, copy it to ``corpus/user/`` and write its sidecar (doi, title, sha256, added_at...)."""
    pdf = Path(pdf)
    if doi is not None:
        doi = normalise_doi(doi)
        if not doi or not re.fullmatch(r"10\.\d{4,9}/\S+", doi):
            raise CorpusError(f"--doi {doi!r} does not look like a DOI (expected 10.NNNN/suffix).")
    data, reader, text = validate_pdf(pdf, settings.max_pdf_mb)
    sha = sha256_bytes(data)
    doi_source = "argument" if doi else None
    if doi is None and (doi := find_doi(reader, text)):
        doi_source = "pdf"
    dest, present = _destination(settings.user_dir, sha, doi, pdf)
    if present:
        return AddResult(dest, read_sidecar(dest) or {}, already_present=True)
    biblio = crossref_biblio(settings, doi) if (doi and online) else None
    meta_source = "crossref" if biblio else "pdf"
    biblio = biblio or _pdf_biblio(reader, pdf.stem)
    ids = _manifest_ids(settings, doi)
    meta = {"kind": "pdf", "source": "user", "doi": doi, "doi_source": doi_source, "pmid": ids.get("pmid"),
            "pmcid": ids.get("pmcid"), "title": biblio.get("title"), "authors": biblio.get("authors") or [],
            "year": biblio.get("year"), "journal": biblio.get("journal"), "license": biblio.get("license"),
            "metadata_source": meta_source, "original_name": pdf.name, "pages": len(reader.pages),
            "added_at": now_iso(), "url": None}
    return place_pdf(settings, pdf, data, meta)


def place_pdf(settings: Settings, original: Path, data: bytes, meta: dict[str, Any],
              files: list[LocalFile] | None = None) -> AddResult:
    """Copy the bytes of a PDF that passed :func:`validate_pdf` into ``corpus/user/`` under a name the index
    builder lists, with its sidecar ``meta`` (``sha256``, ``bytes`` and ``paper_id`` are filled in here). The same
    bytes already there give ``already_present``; another PDF of the same paper is refused (one PDF per paper).
    `corpus add` and `corpus import` both store PDFs through here. ``files``: the sidecar files of corpus/user/ when
    the caller keeps that list (an import of many PDFs), else it is scanned; the new file is appended to it."""
    sha = sha256_bytes(data)
    doi = meta.get("doi")
    dest, present = _destination(settings.user_dir, sha, doi, original, files)
    if present:
        return AddResult(dest, read_sidecar(dest) or {}, already_present=True)
    meta = {**meta, "sha256": sha, "bytes": len(data)}
    meta["paper_id"] = make_paper_id(doi, meta.get("pmid"), meta.get("pmcid"), sha)
    if other := _same_paper(settings.user_dir, meta["paper_id"], sha, files):
        raise CorpusError(f"{original}: {other} already holds this paper ({meta['paper_id']}) and the index keeps "
                          "one PDF per paper. Remove that file first if this copy should replace it.")
    if not is_corpus_file(settings.corpus_dir, dest):
        raise CorpusError(f"{original}: the name {dest.name} would not be indexed; rename the file and add it again.")
    atomicio.write_bytes(dest, data)
    atomicio.write_json(sidecar_path(dest), meta)
    if files is not None:
        files.append(LocalFile(dest, "pdf", meta))
    return AddResult(dest, meta)


def _manifest_ids(settings: Settings, doi: str | None) -> dict[str, str | None]:
    """PMID/PMCID of the manifest entry with this DOI (so the PDF matches the entry by any id)."""
    if not doi:
        return {}
    try:
        entry = load_manifest(settings.manifest_path).find(id_forms(doi))
    except CorpusError:
        return {}
    return {"pmid": entry.pmid, "pmcid": entry.pmcid} if entry else {}
