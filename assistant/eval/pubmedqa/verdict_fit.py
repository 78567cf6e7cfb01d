"""Fit the verdict model (``assistant/answer/verdict_model.json``) on PubMedQA questions outside dev100.

For each calibration question the default LLM is asked the verdict prompt over its abstract's results (as the
answer engine asks it over the best-matching paper's findings); the model's log-odds (to the question and to its
negated asking) and the findings' cue counts (``verdict.features``) are fitted by logistic regression (yes against
no or maybe), and 10-fold cross-validated accuracy on the same questions (maybe counted as wrong) is recorded
beside the weights. dev100 is never used. The probes (PMID, gold label, both log-odds; no text) can be kept in a
JSONL file, so the model can be refitted on other findings features without asking the LLM again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from tqdm import tqdm

from assistant.answer.backends import make_llm
from assistant.answer.composers import verdict_logodds
from assistant.answer.llm import DecidesYesNo
from assistant.answer.verdict import FEATURES, MODEL_FILE, VerdictModel, features, pick_findings
from assistant.atomicio import write_text
from assistant.errors import ConfigError
from assistant.eval.pubmedqa.data import PubMedQAData
from assistant.eval.pubmedqa.subset import SUBSET_FILE, select_questions
from assistant.settings import Settings
from assistant.vocab import Backend


def findings_of(data: PubMedQAData, pmid: str, settings: Settings) -> str:
    ab = data.abstracts[pmid]
    return pick_findings(list(zip(ab.labels, ab.contexts, strict=True)), settings.verdict_findings_chars)


def probe(data: PubMedQAData, settings: Settings, limit: int | None = None,
          subset_file: Path | str = SUBSET_FILE, progress: bool = True) -> list[dict[str, Any]]:
    """Per calibration question: its PMID, gold label and the LLM's log-odds of Yes over its findings, to the
    question (``logodds``) and to its negated asking (``negated``)."""
    llm = make_llm(Backend.LLAMA_CPP, settings)
    probes = []
    for q in tqdm(select_questions(data, "dev", "calib", limit, subset_file), desc="verdict probe", unit="q",
                  disable=not progress):
        probe_ = verdict_logodds(cast(DecidesYesNo, llm), q.question, findings_of(data, q.pmid, settings))
        if probe_ is not None:
            probes.append({"pmid": q.pmid, "label": q.label, "logodds": probe_.plain, "negated": probe_.negated})
    return probes


def feature_rows(probes: list[dict[str, Any]], data: PubMedQAData, settings: Settings) -> list[dict[str, Any]]:
    """The probes with the verdict model's inputs, read from each abstract's findings now."""
    return [{"pmid": p["pmid"], "label": p["label"],
             "x": features(p["logodds"], p["negated"], findings_of(data, p["pmid"], settings))} for p in probes]


def read_probes(path: Path) -> list[dict[str, Any]]:
    try:
        probes = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the verdict probes {path}: {exc}. Delete the file to probe again.") from exc
    if not all(isinstance(p, dict) and {"pmid", "label", "logodds", "negated"} <= p.keys() for p in probes):
        raise ConfigError(f"{path} is not a file of verdict probes (pmid, label, logodds, negated per line; files "
                          "written before the negated probe lack it). Delete it to probe again.")
    return probes


def fit(rows: list[dict[str, Any]], c: float = 1.0, folds: int = 10) -> VerdictModel:
    """Logistic regression of yes against the rest; cross-validated accuracy against the three-way gold."""
    try:
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import cross_val_predict
    except ImportError as exc:  # optional: only the fitter needs scikit-learn
        raise ImportError("fitting the verdict model needs scikit-learn: pip install -e '.[dev]'") from exc
    x = np.array([r["x"] for r in rows], dtype=float)
    gold = np.array([r["label"] for r in rows])
    y = (gold == "yes").astype(int)
    clf = LogisticRegression(C=c, max_iter=1000)
    predicted = np.where(cross_val_predict(clf, x, y, cv=min(folds, int(min(y.sum(), len(y) - y.sum())))), "yes", "no")
    clf.fit(x, y)
    return VerdictModel(features=list(FEATURES), weights=[round(float(w), 4) for w in clf.coef_[0]],
                        bias=round(float(clf.intercept_[0]), 4), n=len(rows),
                        cv_accuracy=round(float((predicted == gold).mean()), 4),
                        fitted_on=f"PubMedQA dev questions outside dev100 ({len(rows)}), logistic regression "
                                  f"C={c}, yes against no/maybe")


def fit_verdict_model(data: PubMedQAData, settings: Settings, out: Path | str = MODEL_FILE,
                      limit: int | None = None, progress: bool = True,
                      probes_file: Path | None = None) -> VerdictModel:
    """Probe (or read the probes from ``probes_file`` when it exists; write them there when it does not), fit,
    write the model to ``out``."""
    if probes_file is not None and probes_file.exists():
        probes = read_probes(probes_file)[:limit]
    else:
        probes = probe(data, settings, limit, progress=progress)
        if probes_file is not None:
            write_text(probes_file, "".join(json.dumps(p) + "\n" for p in probes))
    model = fit(feature_rows(probes, data, settings))
    write_text(out, model.model_dump_json(indent=2) + "\n")
    return model
