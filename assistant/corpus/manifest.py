"""`corpus/manifest.yaml`: the review and its references, and what is present locally for each."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant import atomicio
from assistant.corpus.contracts import make_paper_id, normalise_doi
from assistant.corpus.inventory import LocalIndex, id_forms
from assistant.errors import CorpusError
from assistant.safetext import load_yaml
from assistant.settings import Settings

Role = Literal["review", "reference"]
Status = Literal["confirmed", "candidate"]
LOCAL_KINDS = ("full-text", "abstract", "pdf", "evidence-note")


class ManifestEntry(BaseModel):
    """One paper. Unknown fields are kept (and written back) so hand-added keys survive a sync."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    role: Role = "reference"
    ref_no: int | None = Field(None, ge=1)
    status: Status = "candidate"
    authors: list[str] = Field(default_factory=list)
    title: str = ""
    journal: str | None = None
    year: int | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    license: str | None = None
    notes: list[str] = Field(default_factory=list)

    @field_validator("pmid", "pmcid", "doi", "journal", "license", mode="before")
    @classmethod
    def _text_or_none(cls, v: Any) -> str | None:
        return None if v in (None, "") else str(v).strip()

    @field_validator("pmcid")
    @classmethod
    def _pmc_prefix(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.upper()
        return v if v.startswith("PMC") else "PMC" + v

    @field_validator("doi")
    @classmethod
    def _doi(cls, v: str | None) -> str | None:
        return normalise_doi(v)

    @property
    def ids(self) -> set[str]:
        return id_forms(self.doi, self.pmid, self.pmcid)

    @property
    def paper_id(self) -> str | None:
        try:
            return make_paper_id(self.doi, self.pmid, self.pmcid)
        except ValueError:
            return None


class Manifest(BaseModel):
    model_config = ConfigDict(extra="allow")

    review_doi: str | None = None
    entries: list[ManifestEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_keys(self) -> Manifest:
        seen: set[str] = set()
        for e in self.entries:
            if e.key in seen:
                raise ValueError(f"duplicate key {e.key!r}")
            seen.add(e.key)
        return self

    @property
    def review(self) -> ManifestEntry | None:
        return next((e for e in self.entries if e.role == "review"), None)

    def find(self, ids: set[str]) -> ManifestEntry | None:
        """The first entry sharing any identifier with ``ids``."""
        return next((e for e in self.entries if e.ids & ids), None)


def load_manifest(path: Path) -> Manifest:
    """Read and validate the manifest; a missing file is an empty manifest."""
    path = Path(path)
    if not path.exists():
        return Manifest()
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), max_chars=5_000_000) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: not valid YAML ({exc}). Fix the file or restore it from git.") from None
    if not isinstance(data, dict):
        raise CorpusError(f"{path}: expected a mapping with 'review_doi' and 'entries'.")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CorpusError(f"{path}: invalid manifest at {where or 'top level'}: {first['msg']}. "
                          "See notes in corpus/manifest.yaml's format.") from None


def _header_comment(path: Path) -> str:
    """Leading comment lines of an existing manifest (kept when it is rewritten)."""
    if not path.exists():
        return ""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines) + "\n" if lines else ""


def save_manifest(manifest: Manifest, path: Path) -> None:
    """Write the manifest atomically (temp file, then rename), keeping its leading comment."""
    path = Path(path)
    data = manifest.model_dump(mode="json")
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    atomicio.write_bytes(path, (_header_comment(path) + body).encode("utf-8"))


def entry_identifier(entry: ManifestEntry) -> str | None:
    """The entry's resolvable identifier ('doi:…', 'pmid:…', 'pmc:…' or 'url:…'), None when it has none."""
    url = getattr(entry, "url", None) or (entry.model_extra or {}).get("url")
    return entry.paper_id or (f"url:{url}" if url else None)


def entry_status(entry: ManifestEntry, local: LocalIndex) -> dict[str, Any]:
    files = local.lookup(entry.ids) if entry.ids else []
    notes = sorted({str(f.meta["id"]) for f in files if f.kind == "evidence-note"}
                   | {n for n in entry.notes if any(f.path.stem == n for f in local.files
                                                   if f.kind == "evidence-note")})
    kinds = [k for k in LOCAL_KINDS if any(f.kind == k for f in files) or (k == "evidence-note" and notes)]
    row = entry.model_dump(mode="json")
    row["identifier"] = entry_identifier(entry)
    row.update(paper_id=entry.paper_id, local=kinds or ["nothing"], digest_notes=notes,
               files={k: sorted(str(f.path) for f in files if f.kind == k) for k in kinds if k != "evidence-note"})
    return row


def corpus_status(settings: Settings) -> list[dict[str, Any]]:
    """Per manifest entry: its fields plus ``local`` (kinds present, or ['nothing']), ``digest_notes``
    and ``files`` (paths by kind)."""
    manifest = load_manifest(settings.manifest_path)
    local = LocalIndex.build(settings.cache_dir, settings.user_dir, settings.digest_dir)
    return [entry_status(e, local) for e in manifest.entries]
