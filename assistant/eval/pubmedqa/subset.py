"""Which questions a run asks: the committed 100-question development subset, or a whole split, in stratified order.

The subset (``eval/pubmedqa_dev100.txt``, PMIDs only) is chosen without any random-number generator, so it is
the same on every Python version: within each gold label the questions are ordered by
``sha256(seed + ":" + pmid)``, each label gets its share of the 100 (largest remainder), and the chosen PMIDs
are interleaved so that every prefix keeps the label mix (``--limit 10`` asks about 6 yes, 3 no and 1 maybe
questions). Regenerate it with ``python -m assistant.eval.pubmedqa.subset``; a test checks the committed file
against the regenerated one whenever the data folder exists.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path

from assistant.eval.dataset import DatasetError
from assistant.eval.pubmedqa.data import LABELS, PQAQuestion, PubMedQAData
from assistant.settings import PROJECT_ROOT

SUBSET_FILE = PROJECT_ROOT / "eval" / "pubmedqa_dev100.txt"
SUBSET_SIZE = 100
SUBSET_SEED = "rtms-assistant/pubmedqa-dev100/v1"
SUBSETS = ("dev100", "calib", "all")
"""calib: the dev questions outside dev100, in stratified order (for calibrating thresholds, never for scores)."""


def seeded_order(pmids: Sequence[str], seed: str) -> list[str]:
    """PMIDs in a fixed pseudo-random order (by sha256 of seed and PMID)."""
    return sorted(pmids, key=lambda p: (hashlib.sha256(f"{seed}:{p}".encode()).hexdigest(), p))


def quotas(counts: dict[str, int], size: int) -> dict[str, int]:
    """Each label's share of ``size`` by the largest-remainder method (ties: the label order of LABELS)."""
    total = sum(counts.values())
    if size >= total:
        return dict(counts)
    exact = {k: size * n / total for k, n in counts.items()}
    out = {k: math.floor(v) for k, v in exact.items()}
    order = sorted(counts, key=lambda k: (-(exact[k] - out[k]), LABELS.index(k) if k in LABELS else len(LABELS)))
    for k in order[:size - sum(out.values())]:
        out[k] += 1
    return out


def interleave(groups: dict[str, list[str]]) -> list[str]:
    """Merge per-label lists so that every prefix is close to the overall label mix."""
    keyed = [((i + 0.5) / len(items), LABELS.index(label) if label in LABELS else len(LABELS), pmid)
             for label, items in groups.items() for i, pmid in enumerate(items)]
    return [pmid for *_, pmid in sorted(keyed)]


def stratified_order(questions: Sequence[PQAQuestion], size: int | None = None, seed: str = SUBSET_SEED) -> list[str]:
    """``size`` PMIDs (all when None), stratified by gold label, in stratified order."""
    by_label: dict[str, list[str]] = {}
    for q in questions:
        by_label.setdefault(q.label, []).append(q.pmid)
    want = quotas({k: len(v) for k, v in by_label.items()}, size if size is not None else len(questions))
    return interleave({k: seeded_order(v, f"{seed}:{k}")[:want[k]] for k, v in by_label.items()})


def dev_subset(data: PubMedQAData, size: int = SUBSET_SIZE, seed: str = SUBSET_SEED) -> list[str]:
    """The development subset regenerated from the data (what ``eval/pubmedqa_dev100.txt`` must hold)."""
    return stratified_order(data.split("dev"), size, seed)


def render_subset(pmids: Sequence[str], seed: str = SUBSET_SEED) -> str:
    head = [
        f"# PubMedQA (PQA-L) development subset: {len(pmids)} PMIDs of dev.jsonl, stratified by gold label,",
        f"# chosen by sha256 of seed {seed!r} and PMID;",
        "# in stratified order (every prefix keeps the label mix).",
        "# Only PMIDs: no text of the dataset. Regenerate: python -m assistant.eval.pubmedqa.subset",
    ]
    return "\n".join([*head, *pmids]) + "\n"


def read_subset(path: Path | str = SUBSET_FILE) -> list[str]:
    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"subset file {p} not found: restore it from git or run "
                           "`python -m assistant.eval.pubmedqa.subset` with the data folder in place")
    return [line.strip() for line in p.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def write_subset(data: PubMedQAData, path: Path | str = SUBSET_FILE) -> list[str]:
    pmids = dev_subset(data)
    Path(path).write_text(render_subset(pmids), encoding="utf-8")
    return pmids


def select_questions(data: PubMedQAData, split: str = "dev", subset: str = "dev100", limit: int | None = None,
                     subset_file: Path | str = SUBSET_FILE) -> list[PQAQuestion]:
    """The questions of a run: ``subset`` 'dev100' (the committed subset; dev split only), 'calib' (the rest of the
    split, for calibration) or 'all' (the whole split in stratified order); ``limit`` keeps the first N, which
    stay stratified."""
    questions = data.split(split)
    by_pmid = {q.pmid: q for q in questions}
    if subset == "dev100":
        if split != "dev":
            raise DatasetError("the dev100 subset belongs to the dev split: use --subset all for another split")
        order = read_subset(subset_file)
        missing = [p for p in order if p not in by_pmid]
        if missing:
            raise DatasetError(f"{len(missing)} PMIDs of {subset_file} (e.g. {missing[0]}) are not in "
                               f"{data.root / 'dev.jsonl'}: is the data folder another release of PubMedQA?")
    elif subset == "all":
        order = stratified_order(questions)
    elif subset == "calib":
        held = set(read_subset(subset_file))
        order = [p for p in stratified_order(questions) if p not in held]
    else:
        raise DatasetError(f"unknown subset {subset!r}: use one of {', '.join(SUBSETS)}")
    chosen = [by_pmid[p] for p in order]
    return chosen[:limit] if limit else chosen


if __name__ == "__main__":
    from assistant.eval.pubmedqa.data import load_pubmedqa

    written = write_subset(load_pubmedqa())
    print(f"wrote {len(written)} PMIDs to {SUBSET_FILE}")
