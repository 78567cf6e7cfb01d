"""Pick the reader for a file (by extension, then by sniffing) and list the readable files of a corpus."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.corpus.contracts import Document
from assistant.corpus.readers.common import reader_error
from assistant.corpus.readers.jats import is_jats_root, jats_documents
from assistant.corpus.readers.markdown import read_markdown
from assistant.corpus.readers.pdf import read_pdf
from assistant.corpus.readers.pubmed import is_pubmed_root, pubmed_documents
from assistant.corpus.readers.sidecar import apply_sidecar
from assistant.corpus.readers.xmlsafe import local, parse_xml

__all__ = ["SUPPORTED_SUFFIXES", "hidden_corpus_files", "is_corpus_file", "iter_corpus_files", "read_document",
           "read_documents"]

PDF_SUFFIXES = {".pdf"}
XML_SUFFIXES = {".xml", ".nxml"}
TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
SUPPORTED_SUFFIXES = PDF_SUFFIXES | XML_SUFFIXES | TEXT_SUFFIXES
_SKIP_NAMES = {"manifest.yaml"}
_TEMP_SUFFIXES = (".tmp", ".part", "~")


def read_document(path: Path) -> Document:
    """The Document in ``path`` (for a PubMed set or PMC article set: its first article)."""
    return read_documents(path)[0]


def read_documents(path: Path) -> list[Document]:
    """Every Document in ``path``: one for most files, one per article for PubMed / PMC article sets.

    A single-document file with a provenance sidecar ``<name>.json`` (written by the fetcher and by
    ``corpus add``) gets its ``retrieved_at``, ``extra['provenance']`` and any bibliographic field the file
    itself lacks from there; for PDFs, whose own metadata is guesswork, the sidecar's values win.
    """
    path = Path(path)
    docs = _read_any(path)
    if len(docs) == 1:
        apply_sidecar(docs[0], path)
    return docs


def _read_any(path: Path) -> list[Document]:
    if not path.is_file():
        raise reader_error(path, "no such file (or not a regular file)", "check the path")
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        return [read_pdf(path)]
    if suffix in XML_SUFFIXES:
        return _read_xml(path)
    if suffix in TEXT_SUFFIXES:
        return [read_markdown(path)]
    with path.open("rb") as fh:
        head = fh.read(1024)
    if head.lstrip().startswith(b"%PDF-"):
        return [read_pdf(path)]
    raise reader_error(path, f"unsupported file type '{path.suffix or '(no extension)'}'",
                       "convert it to PDF, JATS/PubMed XML, Markdown or UTF-8 .txt, or move it out of the corpus")


def _read_xml(path: Path) -> list[Document]:
    data = path.read_bytes()
    root = parse_xml(data, path)
    readers: list[tuple[Callable[..., bool], Callable[..., list[Document]]]] = [
        (is_jats_root, jats_documents), (is_pubmed_root, pubmed_documents)]
    for accepts, read in readers:
        if accepts(root):
            return read(root, path, data)
    raise reader_error(path, f"unknown XML type (root element <{local(root)}>)",
                       "give JATS full text (<article>/<pmc-articleset>) or PubMed XML (<PubmedArticleSet>)")


def iter_corpus_files(root: Path) -> list[Path]:
    """Candidate documents under ``root``, sorted and recursive.

    Skipped: hidden files and folders, README.md of ``root`` and of ``root/digest``, ``*.json`` provenance
    sidecars, ``manifest.yaml``, and temporary files (``*.tmp``, ``*.part``, ``*~``) from interrupted writes.
    Everything else is returned, unknown types included, so the caller can report them instead of silently
    ignoring a file the user added.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and is_corpus_file(root, p))


def hidden_corpus_files(root: Path) -> list[Path]:
    """Files under ``root`` that look like documents but are ignored because their own name starts with '.'
    (``.paper.pdf``): reported by the build, so a copied file is never ignored without a reason."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob(".*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(root).parts[:-1]))


def is_corpus_file(root: Path, path: Path) -> bool:
    """Whether ``path`` (under ``root``, existing or not) is one of the files ``iter_corpus_files`` lists;
    `corpus add` checks the name it gives a file with this, so the build never misses an added file."""
    root, path = Path(root), Path(path)
    try:
        rel = path.relative_to(root)
    except ValueError:
        return False
    if any(part.startswith(".") for part in rel.parts):
        return False
    name = path.name.lower()
    if (name == "readme.md" and path.parent in {root, root / "digest"}) or name in _SKIP_NAMES:
        return False
    return not (name.endswith(".json") or name.endswith(_TEMP_SUFFIXES))
