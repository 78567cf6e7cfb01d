"""`eval studies`: study records read by rules from PubMedQA's 1,000 abstracts, scored against their MeSH headings.

The headings were assigned by NLM indexers, not by this project: Humans, Animals, Rats, Mice, Male, Female and the
design headings (Double-Blind Method, Retrospective, Prospective, Cross-Sectional, Case-Control, Cohort and
Follow-Up Studies). Each abstract becomes a ``DocumentMeta`` and one ``Chunk`` per labelled part (no title, no
MeSH: the extractor sees only the text); precision, recall and F1 per heading, over the development half (the
first 500 abstracts of contexts.jsonl, which the rules were written on), the held-out half (the other 500) and
all. Sizes, which no heading judges, are checked for their source sentence stating the number. The data is read at
run time from the PubMedQA folder (``Settings.pubmedqa_dir``) and never copied into the repository.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.atomicio import write_text as write_atomic
from assistant.corpus.contracts import DocumentMeta, make_doc_id, make_paper_id
from assistant.errors import AssistantError
from assistant.index.contracts import Chunk
from assistant.settings import PROJECT_ROOT, Settings
from assistant.studies.contracts import EXPOSURE_SPECIES, StudyRecord
from assistant.studies.extract import extract_record
from assistant.studies.model_pass import ModelPass
from assistant.studies.vocab import NUMBER, parse_number

CONTEXTS = "contexts.jsonl"
DEV_SIZE = 500
"""The first 500 abstracts are the development half (the rules were written on them), the rest held out."""

Predictor = Callable[[StudyRecord], bool]
POPULATION: dict[str, Predictor] = {
    "Humans": lambda r: r.is_human,
    "Animals": lambda r: r.is_animal or any(f.value in EXPOSURE_SPECIES for f in r.species),
    "Rats": lambda r: any(f.value == "rat" for f in r.species),
    "Mice": lambda r: any(f.value == "mouse" for f in r.species),
    "Male": lambda r: any(f.value == "male" for f in r.sex),
    "Female": lambda r: any(f.value == "female" for f in r.sex),
}
"""The population headings and the record values that predict them (MeSH's Animals also tags the animals a human
study's people met: the snake of a snakebite, the mites of an allergy test)."""
DESIGN: dict[str, str] = {
    "Double-Blind Method": "double-blind", "Retrospective Studies": "retrospective",
    "Prospective Studies": "prospective", "Cross-Sectional Studies": "cross-sectional",
    "Case-Control Studies": "case-control", "Cohort Studies": "cohort", "Follow-Up Studies": "follow-up",
}
"""The seven design headings and the design feature that predicts each (macro-F1 over these)."""
HEADINGS = (*POPULATION, *DESIGN)
TARGETS = {"human_vs_animal_f1": 0.95, "rats_f1": 0.90, "mice_f1": 0.90, "design_macro_f1": 0.75}


@dataclass(frozen=True)
class Abstract:
    """One PubMedQA abstract as contexts.jsonl holds it (the fields this eval reads)."""

    pmid: str
    year: int | None
    labels: tuple[str, ...]
    contexts: tuple[str, ...]
    meshes: tuple[str, ...]


def load_abstracts(data_dir: Path | str | None = None, settings: Settings | None = None) -> tuple[Path, list[Abstract]]:
    """contexts.jsonl of the PubMedQA folder (``--data``, else ``Settings.pubmedqa_dir`` as ``eval pubmedqa``
    reads it), in file order; its path and its abstracts."""
    folder = Path(data_dir) if data_dir else (settings or Settings()).pubmedqa_dir
    path = folder / CONTEXTS
    if not path.is_file():
        raise AssistantError(f"no PubMedQA data in {folder} (missing {CONTEXTS}): see eval/README.md for "
                             "`eval pubmedqa-prepare`, or point RTMS_PUBMEDQA_DIR (or --data) at the folder")
    out = []
    # split at newlines only: str.splitlines also splits at U+2029 and the like, which occur inside abstracts
    for lineno, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            contexts = tuple(str(c) for c in row["contexts"])
            labels = tuple(str(x) for x in row.get("labels") or [""] * len(contexts))
            year = row.get("year")
            out.append(Abstract(pmid=str(row["pmid"]), year=int(year) if str(year or "").isdigit() else None,
                                labels=labels, contexts=contexts, meshes=tuple(row.get("meshes") or ())))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise AssistantError(f"{path}:{lineno}: not a PubMedQA abstract ({type(exc).__name__}: {exc})") from None
        if len(labels) != len(contexts):
            raise AssistantError(f"{path}:{lineno}: {len(labels)} labels for {len(contexts)} contexts")
    return path, out


def abstract_document(a: Abstract) -> tuple[DocumentMeta, list[Chunk]]:
    """The abstract as the index would hold it: its document and one chunk per labelled part."""
    paper_id = make_paper_id(pmid=a.pmid)
    doc = DocumentMeta(doc_id=make_doc_id(paper_id, "abstract"), paper_id=paper_id, kind="abstract", pmid=a.pmid,
                       year=a.year, source=f"pubmedqa:{a.pmid}")
    chunks = []
    for i, (label, text) in enumerate(zip(a.labels, a.contexts, strict=True)):
        section = "" if label.strip().upper() in ("", "UNLABELLED") else label.strip().title()
        chunks.append(Chunk(chunk_id=Chunk.make_id(doc.doc_id, section, None, 0, len(text), text), doc_id=doc.doc_id,
                            paper_id=paper_id, ord=i, section=section, char_start=0, char_end=len(text), text=text))
    return doc, chunks


def predicted(record: StudyRecord) -> set[str]:
    """The headings a record predicts."""
    design = {f.value for f in record.design}
    return ({h for h, p in POPULATION.items() if p(record)} | {h for h, v in DESIGN.items() if v in design})


def _prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f1 = 2 * p * r / (p + r) if p and r else (0.0 if tp + fn else None)
    return {"support": tp + fn, "predicted": tp + fp, "tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r,
            "f1": f1}


def _size_checked(record: StudyRecord, texts: dict[str, str]) -> tuple[int, int]:
    """(sizes recorded, sizes whose source sentence states the number)."""
    ok = 0
    for s in record.sizes:
        sentence = texts[s.source.chunk_id][s.source.start:s.source.end]
        numbers = {parse_number(m.group(0)) for m in re.finditer(NUMBER, sentence, re.IGNORECASE)}
        ok += s.n in numbers and s.source.quote in sentence
    return len(record.sizes), ok


def score(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per-heading precision/recall/F1, the summary figures and the size checks of some scored rows."""
    per: dict[str, Any] = {}
    for h in HEADINGS:
        tp = sum(h in r["gold"] and h in r["pred"] for r in rows)
        fp = sum(h not in r["gold"] and h in r["pred"] for r in rows)
        fn = sum(h in r["gold"] and h not in r["pred"] for r in rows)
        per[h] = _prf(tp, fp, fn)

    def f1(h: str) -> float | None:
        v = per[h]["f1"]
        return None if v is None else float(v)

    def mean(values: Sequence[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return sum(known) / len(known) if known else None

    sizes = sum(r["sizes"] for r in rows)
    checked = sum(r["sizes_checked"] for r in rows)
    return {
        "n": len(rows), "headings": per,
        "human_vs_animal_f1": mean([f1("Humans"), f1("Animals")]),
        "rats_f1": f1("Rats"), "mice_f1": f1("Mice"),
        "design_macro_f1": mean([f1(h) for h in DESIGN]),
        "sizes": {"recorded": sizes, "source_states_number": checked,
                  "share_checked": checked / sizes if sizes else None,
                  "abstracts_with_size": sum(r["sizes"] > 0 for r in rows) / len(rows) if rows else None},
        "kinds": _counts(r["kind"] for r in rows),
    }


def _counts(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[str(v)] = out.get(str(v), 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def run_studies(out_dir: Path | str | None = None, *, data_dir: Path | str | None = None, limit: int | None = None,
                settings: Settings | None = None, command: str | None = None,
                dev_size: int = DEV_SIZE, model_pass: ModelPass | None = None) -> dict[str, Any]:
    """Extract a record from each abstract, score it, write report.json, report.md and records.jsonl (one row per
    abstract: gold and predicted headings, kind, badge, sizes); returns the report. The first ``dev_size``
    abstracts are the development half. ``model_pass``: the model then fills the design the rules left empty
    (timed apart from the rules)."""
    path, abstracts = load_abstracts(data_dir, settings)
    abstracts = abstracts[:limit]
    docs = [abstract_document(a) for a in abstracts]
    t0 = time.perf_counter()
    records = [extract_record(doc, chunks) for doc, chunks in docs]
    seconds = time.perf_counter() - t0
    model: dict[str, Any] | None = None
    if model_pass is not None:
        from tqdm import tqdm

        t1 = time.perf_counter()
        with tqdm(total=len(records), desc="model pass", unit="abstract") as bar:
            records = model_pass.fill_all([(r, chunks) for r, (_, chunks) in zip(records, docs, strict=True)],
                                          progress=bar.update)
        model = {"model": model_pass.llm.model, "asked": model_pass.asked, "cached": model_pass.cached,
                 "seconds": round(time.perf_counter() - t1, 1)}
    rows = []
    for a, (_, chunks), rec in zip(abstracts, docs, records, strict=True):
        n, ok = _size_checked(rec, {c.chunk_id: c.text for c in chunks})
        rows.append({"pmid": a.pmid, "gold": sorted(set(a.meshes) & set(HEADINGS)), "pred": sorted(predicted(rec)),
                     "kind": rec.kind_value, "badge": rec.badge(), "sizes": n, "sizes_checked": ok})
    report = {
        "benchmark": "studies", "date": datetime.now(UTC).isoformat(timespec="seconds"), "command": command,
        "data": str(path), "contexts_sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "limit": limit,
        "dev_size": dev_size,
        "targets": TARGETS, "seconds": round(seconds, 3), "model_pass": model,
        "docs_per_second": round(len(records) / seconds, 1) if seconds > 0 else None,
        "splits": {"dev": score(rows[:dev_size]), "held-out": score(rows[dev_size:]), "all": score(rows)},
    }
    out = Path(out_dir) if out_dir else default_out()
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    write_atomic(out / "records.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    write_atomic(out / "report.md", render_markdown(report) + "\n")
    return report


def default_out() -> Path:
    return PROJECT_ROOT / "eval" / "runs" / f"studies-{datetime.now():%Y%m%d}"


def _f(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def render_markdown(report: dict[str, Any]) -> str:
    """The summary table (dev, held-out, all) and the per-heading table of all abstracts."""
    splits = [(name, s) for name, s in report["splits"].items() if s["n"]]
    lines = ["| split | n | human vs animal F1 | rats F1 | mice F1 | design macro-F1 | sizes (source states n) |"
             " abstracts with a size |", "|---|---|---|---|---|---|---|---|"]
    for name, s in splits:
        sz = s["sizes"]
        lines.append(f"| {name} | {s['n']} | {_f(s['human_vs_animal_f1'])} | {_f(s['rats_f1'])} | "
                     f"{_f(s['mice_f1'])} | {_f(s['design_macro_f1'])} | {sz['source_states_number']}/"
                     f"{sz['recorded']} | {_f(sz['abstracts_with_size'])} |")
    lines += ["", f"targets: {', '.join(f'{k} >= {v}' for k, v in report['targets'].items())}; "
              f"extraction {report['docs_per_second']} documents/s", ""]
    head = ["heading", *(f"{name} {m}" for name, _ in splits for m in ("P", "R", "F1")), "support (all)"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for h in HEADINGS:
        cells = [h]
        for _, s in splits:
            x = s["headings"][h]
            cells += [_f(x["precision"]), _f(x["recall"]), _f(x["f1"])]
        cells.append(str(report["splits"]["all"]["headings"][h]["support"]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
