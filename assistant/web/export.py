"""Markdown export of a conversation with one numbered bibliography.

Each answer numbers its passages 1..k on its own; the export renumbers the cited passages across the whole
conversation (same passage → same number) so the reference list at the end is one list.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assistant import atomicio
from assistant.references import EXTENSIONS, collect, render
from assistant.web.history import MARKER_RE
from assistant.web.render import VERDICT_LABELS, evidence_passage, kind_label, location, marker_numbers

if TYPE_CHECKING:
    from assistant.answer.contracts import EvidenceSentence
    from assistant.index.contracts import Passage
    from assistant.web.session import Turn


def reference_line(p: Passage) -> str:
    """'Bai et al. 2023. Title. Front Immunol. https://doi.org/… · PMID … — Results, p. 4 (Evidence note)'."""
    d = p.doc
    bits = [d.short_label() + ".", (d.title.rstrip(".") + ".") if d.title else ""]
    if d.journal:
        bits.append(d.journal.rstrip(".") + ".")
    ids = []
    if d.doi:
        ids.append(f"https://doi.org/{d.doi}")
    if d.pmid:
        ids.append(f"PMID {d.pmid}")
    if d.pmcid:
        ids.append(d.pmcid)
    line = " ".join(b for b in bits if b)
    if ids:
        line += " " + " · ".join(ids)
    where = location(p)
    return line + (f" — {where}" if where else "") + f" ({kind_label(d.kind)})"


def _md_escape_inline(text: str) -> str:
    return re.sub(r"([*_`<>])", r"\\\1", text)


class _Bibliography:
    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.passages: list[Passage] = []

    def number(self, p: Passage) -> int:
        key = p.chunk.chunk_id
        if key not in self.numbers:
            self.passages.append(p)
            self.numbers[key] = len(self.passages)
        return self.numbers[key]


def _renumber(text: str, local: dict[int, Passage], bib: _Bibliography) -> str:
    def repl(m: re.Match[str]) -> str:
        nums = marker_numbers(m.group(1))
        if not nums or not all(n in local for n in nums):
            return ""  # a marker that points nowhere is dropped, never exported
        return "".join(f"[{bib.number(local[n])}]" for n in nums)

    return MARKER_RE.sub(repl, text)


def _evidence_lines(sentences: Sequence[EvidenceSentence], passages: Sequence[Passage],
                    bib: _Bibliography) -> list[str]:
    """The evidence sentences as a bullet list whose markers point into the bibliography."""
    lines = []
    for s in sentences:
        p = evidence_passage(s, passages)
        if p is None:
            lines.append(f"- “{_md_escape_inline(s.text.strip())}”")
            continue
        where = ", ".join(x for x in (p.doc.short_label(), location(p)) if x)
        lines.append(f"- “{_md_escape_inline(s.text.strip())}” [{bib.number(p)}] ({_md_escape_inline(where)})")
    return (["*Evidence (verified, quoted from the passages):*", "", *lines, ""]) if lines else []


def _turn_evidence(t: Turn) -> tuple[Sequence[EvidenceSentence], Sequence[Passage]]:
    if t.answer is not None and t.answer.evidence:
        return t.answer.evidence, t.answer.passages
    if t.evidence is not None:
        return t.evidence.sentences, t.evidence.passages
    return [], []


def _verdict_line(verdict: str | None) -> list[str]:
    return [f"**Verdict: {VERDICT_LABELS.get(verdict, verdict)}**", ""] if verdict else []


def conversation_markdown(turns: Sequence[Turn], now: datetime | None = None) -> str:
    """The whole conversation as Markdown: questions, verdicts, answers with renumbered markers, the evidence
    sentences, references."""
    now = now or datetime.now(UTC)
    bib = _Bibliography()
    out = ["# rtms-assistant conversation", "",
           f"Exported {now.strftime('%Y-%m-%d %H:%M UTC')}. Markers [n] refer to the references at the end.", ""]
    kept = [t for t in turns if t.error is None and t.question]  # failed turns are not part of the record
    for i, t in enumerate(kept, start=1):
        out += [f"## {i}. {_md_escape_inline(t.question)}", ""]
        a = t.answer
        if a is None:
            if t.partial.strip():
                out += [MARKER_RE.sub("", t.partial).strip(), ""]
            out += ["*(stopped before the answer was complete; not checked against sources)*", ""]
            out += _evidence_lines(*_turn_evidence(t), bib)
            continue
        out += _verdict_line(a.verdict)
        if not a.answerable:
            out += [f"*No answer:* {a.answer}", ""]
            continue
        local: dict[int, Passage] = {n: p for n, p in enumerate(a.passages, start=1)}
        local.update({c.n: c.passage for c in a.citations})
        out += [_renumber(a.answer, local, bib).strip(), ""]
        unsupported = [s.text.strip() for s in a.sentences if s.supported is False and s.text.strip()]
        if unsupported:
            out += ["*Not supported by the cited passages:* " + " / ".join(f"“{s}”" for s in unsupported), ""]
        out += _evidence_lines(*_turn_evidence(t), bib)
        meta = [f"backend {a.backend}" if a.backend else "", a.model]
        if a.query and a.query.strip() != a.question.strip():
            meta.append(f"searched as “{a.query}”")
        meta_line = "; ".join(m for m in meta if m)
        if meta_line:
            out += [f"<sub>{meta_line}</sub>", ""]
    out += ["## References", ""]
    if bib.passages:
        out += [f"{n}. {reference_line(p)}" for n, p in enumerate(bib.passages, start=1)]
    else:
        out.append("No passages were cited.")
    return "\n".join(out).rstrip() + "\n"


def write_export(markdown: str, folder: Path | None = None, now: datetime | None = None,
                 name: str = "rtms-conversation", ext: str = "md") -> Path:
    """Write the export to ``folder`` (a fresh temp folder by default) atomically as ``<name>-<time>.<ext>``;
    return its path."""
    now = now or datetime.now(UTC)
    folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="rtms-export-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{now.strftime('%Y%m%d-%H%M%S')}.{ext}"
    return atomicio.write_text(path, markdown, mode=0o600)  # private, as the temp-file writer made it


def write_references(turns: Sequence[Turn], fmt: str, folder: Path | None = None,
                     now: datetime | None = None) -> Path | None:
    """Write the conversation's references as ``rtms-references-<time>.<ext>``; None when nothing is cited."""
    refs = collect(t.answer for t in turns if t.error is None)
    if not refs:
        return None
    return write_export(render(refs, fmt), folder, now, name="rtms-references", ext=EXTENSIONS[fmt])
