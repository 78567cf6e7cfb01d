"""`corpus import EXPORT`: every usable entry of a reference-manager export becomes a document in corpus/user/.

An entry with its PDF is stored like `corpus add` stores a PDF (:func:`assistant.corpus.add.place_pdf`), with the
export's bibliography in the sidecar; an entry without one is stored as a small JATS file holding its abstract.
Sidecars carry ``import_identity`` (DOI, else PMID, else normalised title + year), so a re-import of an updated
export rewrites only the entries whose PDF or metadata changed and leaves every other file byte-for-byte alone
(the incremental index build then reuses their documents). An entry whose DOI, PMID or PMCID is already in the
corpus from elsewhere (the review's fetched texts, an evidence note, a PDF added by hand) is merged: nothing is
written, so the paper is not indexed twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant import atomicio
from assistant.corpus.add import place_pdf, safe_stem, validate_pdf
from assistant.corpus.cache import now_iso, paper_slug, sidecar_path, write_with_sidecar
from assistant.corpus.contracts import make_paper_id, sha256_bytes
from assistant.corpus.inventory import LocalFile, LocalIndex, id_forms, scan_sidecar_files
from assistant.corpus.library.entries import LibraryEntry, Problem, looks_misdecoded, normalise_title
from assistant.corpus.library.export import pdf_attachment, read_export
from assistant.corpus.library.jatswrite import abstract_jats
from assistant.errors import CorpusError
from assistant.settings import Settings

log = logging.getLogger(__name__)

SOURCE = "import"
# sidecar fields compared to decide whether an entry's metadata changed
META_FIELDS = ("doi", "pmid", "pmcid", "title", "authors", "year", "journal", "abstract")


@dataclass
class ImportReport:
    """What an import did, entry by entry (titles), and what it refused (with reasons)."""

    with_pdf: list[str] = field(default_factory=list)
    abstract_only: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    bibliography_only: list[Path] = field(default_factory=list)
    """PDFs whose file is unchanged and only the sidecar's bibliography changed: the incremental index build reuses
    a document while its file is the same, so `index build --rebuild` is what shows the new bibliography"""

    @property
    def imported(self) -> int:
        return len(self.with_pdf) + len(self.abstract_only)

    def summary(self) -> str:
        return (f"imported {self.imported} (with PDF {len(self.with_pdf)}, abstract only {len(self.abstract_only)}), "
                f"updated {len(self.updated)}, unchanged {len(self.unchanged)}, merged {len(self.merged)}, "
                f"skipped {len(self.problems)}")

    def to_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "with_pdf": len(self.with_pdf), "abstract_only": len(self.abstract_only),
                "updated": len(self.updated), "unchanged": len(self.unchanged), "merged": len(self.merged),
                "bibliography_only": [str(p) for p in self.bibliography_only],
                "skipped": [{"entry": p.origin, "title": p.title, "reason": p.reason} for p in self.problems]}


def title_key(entry: LibraryEntry) -> str:
    return f"{normalise_title(entry.title)}|{entry.year or ''}"


def _imported(files: list[LocalFile]) -> tuple[dict[str, LocalFile], dict[str, LocalFile]]:
    """Files an earlier import wrote, by import identity and by title key (a DOI added later changes the identity)."""
    by_id: dict[str, LocalFile] = {}
    by_title: dict[str, LocalFile] = {}
    for f in files:
        if f.meta.get("source") == SOURCE and f.meta.get("import_identity"):
            by_id[str(f.meta["import_identity"])] = f
            by_title.setdefault(str(f.meta.get("import_title_key")), f)
    return by_id, by_title


def _meta(entry: LibraryEntry, kind: str, export_file: str) -> dict[str, Any]:
    return {"kind": kind, "source": SOURCE, "doi": entry.doi, "pmid": entry.pmid, "pmcid": entry.pmcid,
            "title": entry.title, "authors": entry.authors, "year": entry.year, "journal": entry.journal,
            "abstract": entry.abstract, "license": None, "metadata_source": SOURCE, "url": None,
            "import_identity": entry.identity, "import_title_key": title_key(entry), "import_file": export_file}


def _same_meta(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return all(old.get(k) == new.get(k) for k in META_FIELDS)


class _Merged(Exception):
    """The entry's PDF is already in the corpus (added by hand, under another name)."""


class _Importer:
    def __init__(self, settings: Settings, report: ImportReport) -> None:
        self.settings = settings
        self.report = report
        self.user_files = scan_sidecar_files(settings.user_dir)  # kept up to date: one scan per import
        self.mine, self.mine_by_title = _imported(self.user_files)
        others = [f for f in LocalIndex.build(settings.cache_dir, settings.user_dir, settings.digest_dir).files
                  if f.meta.get("source") != SOURCE]
        self.elsewhere = LocalIndex(others)

    def one(self, entry: LibraryEntry) -> None:
        r = self.report
        if looks_misdecoded(entry.title, entry.abstract, entry.journal, *entry.authors):
            r.problems.append(Problem(entry.origin, entry.title, "broken encoding (replacement characters or "
                                      "UTF-8 read as Latin-1, e.g. 'Ã©'); re-export the library as UTF-8"))
            return
        old = self.mine.get(entry.identity) or self.mine_by_title.get(title_key(entry))
        ids = id_forms(entry.doi, entry.pmid, entry.pmcid)
        if old is None and ids and (there := self.elsewhere.lookup(ids)):
            r.merged.append(entry.title)
            log.info("%s: already in the corpus as %s; merged", entry.origin, there[0].path)
            return
        pdf, missing = pdf_attachment(entry)
        if missing:
            r.problems.append(Problem(entry.origin, entry.title, missing))
            return
        try:
            path = self._store_pdf(entry, pdf, old) if pdf else self._store_abstract(entry, old)
        except _Merged:
            r.merged.append(entry.title)
            return
        except CorpusError as exc:
            r.problems.append(Problem(entry.origin, entry.title, str(exc)))
            return
        if path is None:
            r.unchanged.append(entry.title)
            return
        r.written.append(path)
        if old is not None:
            r.updated.append(entry.title)
        else:
            (r.with_pdf if pdf else r.abstract_only).append(entry.title)

    def _store_pdf(self, entry: LibraryEntry, pdf: Path, old: LocalFile | None) -> Path | None:
        """Write the PDF and its sidecar unless the same bytes and metadata are there; the path written, or None."""
        same_pdf = (old is not None and old.kind == "pdf" and pdf.stat().st_size == old.meta.get("bytes")
                    and old.meta.get("sha256") == sha256_bytes(pdf.read_bytes()))
        if old is not None and same_pdf and _same_meta(old.meta, _meta(entry, "pdf", "")):
            return None  # the PDF was checked when it was first imported
        data, reader, _ = validate_pdf(pdf, self.settings.max_pdf_mb)
        meta = {**_meta(entry, "pdf", self._export_name(entry)), "original_name": pdf.name,
                "pages": len(reader.pages), "added_at": now_iso()}
        if old is not None and same_pdf:
            meta = {**old.meta, **{k: v for k, v in meta.items() if k != "added_at"},
                    "paper_id": make_paper_id(entry.doi, entry.pmid, entry.pmcid, old.meta["sha256"])}
            atomicio.write_json(sidecar_path(old.path), meta)  # same bytes: only the bibliography changed
            self.report.bibliography_only.append(old.path)
            return old.path
        if old is not None:
            self._remove(old)
        res = place_pdf(self.settings, pdf, data, meta, self.user_files)
        if res.already_present:  # the same PDF was added by hand (without the identifiers the export has)
            raise _Merged(res.path)
        return res.path

    def _store_abstract(self, entry: LibraryEntry, old: LocalFile | None) -> Path | None:
        if not entry.abstract:
            raise CorpusError("no PDF and no abstract, so nothing to index; attach the PDF in the reference manager "
                              "(and export with 'Export Files') or add the abstract")
        data = abstract_jats(entry)
        if old is not None and old.kind == "abstract" and old.meta.get("sha256") == sha256_bytes(data):
            return None
        if old is not None:
            self._remove(old)
        dest = self._abstract_path(entry, sha256_bytes(data))
        meta = {**_meta(entry, "abstract", self._export_name(entry)), "retrieved_at": now_iso(),
                "paper_id": make_paper_id(entry.doi, entry.pmid, entry.pmcid, sha256_bytes(data))}
        self.user_files.append(LocalFile(dest, "abstract", write_with_sidecar(dest, data, meta)))
        return dest

    def _remove(self, f: LocalFile) -> None:
        for p in (f.path, sidecar_path(f.path)):
            p.unlink(missing_ok=True)
        self.user_files = [u for u in self.user_files if u.path != f.path]

    def _abstract_path(self, entry: LibraryEntry, sha: str) -> Path:
        ids = entry.doi or entry.pmid or entry.pmcid
        stem = safe_stem(paper_slug(make_paper_id(entry.doi, entry.pmid, entry.pmcid)) if ids
                         else f"{normalise_title(entry.title)[:60]}-{entry.year or 'nd'}")
        dest = self.settings.user_dir / f"{stem}.abstract.xml"
        if dest.exists() or sidecar_path(dest).exists():
            dest = dest.with_name(f"{stem}-{sha[:8]}.abstract.xml")
        return dest

    @staticmethod
    def _export_name(entry: LibraryEntry) -> str:
        return entry.origin.split(",")[0]


def import_export(settings: Settings, export: Path, *, encoding: str = "utf-8", progress: bool = True) -> ImportReport:
    """Import every usable entry of the RIS/BibTeX file or Zotero export folder ``export`` into corpus/user/."""
    content = read_export(Path(export), encoding)
    report = ImportReport(files=content.files, problems=list(content.problems))
    if not content.entries and not content.problems:
        raise CorpusError(f"{export}: no references found. Check that it is an RIS or BibTeX export.")
    importer = _Importer(settings, report)
    for entry in tqdm(content.entries, desc="importing", unit="entry", disable=None if progress else True):
        importer.one(entry)
    return report
