"""`eval run`, `eval pubmedqa`, `eval studies`, `eval compare`, `eval report`, `eval rescore` and `eval calibrate`."""

from __future__ import annotations

import json
import shlex
import sys
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console

from assistant.cli import app
from assistant.settings import PROJECT_ROOT, Settings, field_default
from assistant.vocab import JudgeName, RetrievalMode

eval_app = typer.Typer(help="Score answers, citations, refusals and retrieval on eval/questions.jsonl "
                            "(and on PubMedQA: `eval pubmedqa`).",
                       no_args_is_help=True)
app.add_typer(eval_app, name="eval")
console = Console()


@eval_app.command("run")
def eval_run(
    backend: str | None = typer.Option(None, help="llama-cpp | openai | extractive (default: RTMS_BACKEND)."),
    retrieval: str = typer.Option(RetrievalMode.HYBRID, help="hybrid | dense | bm25 | none (closed book: no "
                                                             "passages)."),
    limit: int | None = typer.Option(None, min=1, help="Only N questions, taken round-robin across question types."),
    out: Path | None = typer.Option(None, help="Run folder (default: eval/runs/<backend>-<retrieval>-<date>). "
                                               "An existing folder of the same configuration is resumed."),
    questions: Path | None = typer.Option(None, help="Question file (default: eval/questions.jsonl)."),
    judge: str | None = typer.Option(None, help="Citation judge: lexical | llm (default: RTMS_JUDGE)."),
    no_plots: bool = typer.Option(False, "--no-plots", help="Skip the PNG plots."),
    split: str = typer.Option("all", help="all | dev | held: the half of the question set by paper "
                                          "(assistant/eval/split.py) to answer; the report gives both halves."),
) -> None:
    """Answer the question set and write results.jsonl, report.json, report.md and plots."""
    from assistant.api import Assistant
    from assistant.eval.dataset import load_questions
    from assistant.eval.report import markdown_table
    from assistant.eval.runner import run_eval
    from assistant.eval.split import HALVES, only

    settings = Settings()
    backend = backend or settings.backend
    if split not in ("all", *HALVES):
        raise typer.BadParameter(f"--split is all, dev or held, not {split!r}")
    qs = only(load_questions(questions), split)
    out = out or PROJECT_ROOT / "eval" / "runs" / f"{backend}-{retrieval}-{datetime.now():%Y%m%d}"
    report = run_eval(Assistant.load(settings), qs, out, backend=backend, retrieval=retrieval, limit=limit,
                      judge=judge, make_plots=not no_plots)
    print(markdown_table([("all", report["overall"]), *report.get("by_split", {}).items()]))
    console.print(f"judge: {report['config']['judge']}; report in {out}/report.md")


@eval_app.command("pubmedqa")
def eval_pubmedqa(
    split: str = typer.Option("dev", help="Question split of the data folder (dev: the 500 labelled questions "
                                          "outside the official test split)."),
    subset: str = typer.Option("dev100", help="dev100: the committed stratified 100-question subset "
                                              "(eval/pubmedqa_dev100.txt); calib: the other dev questions (for "
                                              "calibrating thresholds); all: the whole split."),
    limit: int | None = typer.Option(None, min=1, help="Only the first N questions of the subset (still stratified "
                                                      "by gold label)."),
    backend: str | None = typer.Option(None, help="llama-cpp | openai | extractive (default: RTMS_BACKEND)."),
    retrieval: str = typer.Option(RetrievalMode.HYBRID, help="hybrid | dense | bm25 | none (closed book) | oracle "
                                                             "(the gold abstract given directly)."),
    out: Path | None = typer.Option(None, help="Run folder (default: eval/runs/pubmedqa-<split>-<backend>-"
                                               "<retrieval>-<date>). An existing folder of the same "
                                               "configuration is resumed."),
    judge: str | None = typer.Option(None, help="Citation judge: lexical | llm (default: RTMS_JUDGE)."),
    distractors: int | None = typer.Option(None, min=0, help="Index only the abstracts of the questions asked plus "
                                                            "N others (quick checks; default: all 1,000 abstracts)."),
    data: Path | None = typer.Option(None, help="PubMedQA data folder (default: RTMS_PUBMEDQA_DIR)."),
    cache: Path | None = typer.Option(None, help="Folder for the abstracts' XML files and index "
                                                 "(default: eval/pubmedqa-cache, git-ignored)."),
    rebuild_index: bool = typer.Option(False, "--rebuild-index", help="Build the abstracts' index again."),
    no_plots: bool = typer.Option(False, "--no-plots", help="Skip the PNG plots."),
) -> None:
    """PubMedQA: yes/no/maybe questions over 1,000 real PubMed abstracts in their own index (built once)."""
    from assistant.eval.pubmedqa.report import majority_row, markdown_table
    from assistant.eval.pubmedqa.runner import RETRIEVALS, default_out, run_pubmedqa

    if retrieval not in RETRIEVALS:
        raise typer.BadParameter(f"use one of {', '.join(RETRIEVALS)}", param_hint="--retrieval")
    settings = Settings()
    backend = backend or settings.backend
    out = out or default_out(split, backend, retrieval)
    command = shlex.join(["rtms-assistant", *sys.argv[1:]])
    report = run_pubmedqa(out, settings=settings, split=split, subset=subset, limit=limit, backend=backend,
                          retrieval=retrieval, judge=judge, distractors=distractors, data_dir=data, cache_dir=cache,
                          rebuild_index=rebuild_index, make_plots=not no_plots, command=command)
    print(markdown_table([("all", report["overall"]), *((f"gold {k}", v) for k, v in report["by_label"].items()),
                          majority_row(report)]))
    idx = report["index"]
    console.print(f"index: {idx.get('documents')} abstracts, {idx.get('chunks')} chunks, "
                  f"{'reused' if idx.get('reused') else 'built in ' + str(idx.get('build_seconds')) + ' s'}; "
                  f"report in {out}/report.md")


@eval_app.command("studies")
def eval_studies(
    limit: int | None = typer.Option(None, min=1, help="Only the first N abstracts of contexts.jsonl."),
    out: Path | None = typer.Option(None, help="Report folder (default: eval/runs/studies-<date>)."),
    data: Path | None = typer.Option(None, help="PubMedQA data folder (default: RTMS_PUBMEDQA_DIR)."),
    model_pass: bool = typer.Option(False, "--model-pass", help="The LLM then fills the design features the rules "
                                    "left empty (cached in the cache folder; ~3 s per new abstract on 2 cores)."),
) -> None:
    """Study records read by rules from the PubMedQA abstracts, scored against their MeSH headings (humans,
    animals, rats, mice, sex, design); the first 500 abstracts are the rules' development half, the rest held out."""
    from assistant.answer.backends import study_model_pass
    from assistant.eval.studies import default_out, render_markdown, run_studies

    out = out or default_out()
    settings = Settings()
    report = run_studies(out, data_dir=data, limit=limit, command=shlex.join(["rtms-assistant", *sys.argv[1:]]),
                         settings=settings, model_pass=study_model_pass(settings) if model_pass else None)
    print(render_markdown(report))
    console.print(f"report in {out}/report.md")


@eval_app.command("pubmedqa-prepare")
def eval_pubmedqa_prepare(
    ori_pqal: Path = typer.Argument(..., help="data/ori_pqal.json of the PubMedQA repository."),
    test_ground_truth: Path = typer.Argument(..., help="data/test_ground_truth.json (the official test split)."),
    out: Path = typer.Option(..., help="Data folder to write contexts.jsonl and dev.jsonl into (outside the "
                                       "repository; then set RTMS_PUBMEDQA_DIR to it)."),
) -> None:
    """Write a PubMedQA data folder from the dataset's own release files."""
    from assistant.eval.pubmedqa.data import prepare_from_original

    counts = prepare_from_original(ori_pqal, test_ground_truth, out)
    console.print(f"wrote {counts['abstracts']} abstracts and {counts['dev']} dev questions to {out} "
                  f"({counts['test']} test questions left out)")


@eval_app.command("compare")
def eval_compare(
    dirs: list[Path] = typer.Argument(..., help="Run folders made by `eval run` (or all by `eval pubmedqa`)."),
    out: Path | None = typer.Option(None, help="Also write compare.md and comparison plots to this folder."),
    markdown: bool = typer.Option(False, "--markdown", help="Print the markdown table instead of a rich table."),
) -> None:
    """Put eval runs side by side."""
    from assistant.eval.compare import compare, rich_table

    res = compare(dirs, out)
    if markdown or res.get("benchmark") == "pubmedqa":
        print(res["markdown"])
    else:
        console.print(rich_table(res["rows"]))
        console.print("citation judge(s): " + ", ".join(sorted({r["config"]["judge"] for r in res["reports"]})))
    if out:
        console.print(f"wrote {out}/compare.md and plots")


@eval_app.command("split")
def eval_split(
    questions: Path | None = typer.Option(None, help="Question file (default: eval/questions.jsonl)."),
    out: Path | None = typer.Option(None, help="Where to write the split (default: eval/split.json)."),
) -> None:
    """Write each half's papers and question ids (the split itself is a fixed hash of the paper id)."""
    from assistant.eval.dataset import load_questions
    from assistant.eval.split import SALT, split_table

    table = {"salt": SALT, **split_table(load_questions(questions))}
    path = out or PROJECT_ROOT / "eval" / "split.json"
    path.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"dev: {len(table['dev_questions'])} questions; held: {len(table['held_questions'])}; wrote {path}")


@eval_app.command("report")
def eval_report(run: Path = typer.Argument(..., help="A run folder made by `eval run` or `eval pubmedqa`.")) -> None:
    """Rebuild report.json, report.md and the plots of a run from its results.jsonl."""
    from assistant.eval.report import markdown_table
    from assistant.eval.runfiles import run_benchmark
    from assistant.eval.runner import rebuild_report

    if run_benchmark(run) == "pubmedqa":
        from assistant.eval.pubmedqa.report import markdown_table as pubmedqa_table
        from assistant.eval.pubmedqa.runner import rebuild_report as rebuild_pubmedqa

        report = rebuild_pubmedqa(run)
        print(pubmedqa_table([("all", report["overall"])]))
        console.print(f"report in {run}/report.md")
        return
    report = rebuild_report(run)
    print(markdown_table([("all", report["overall"])]))
    console.print(f"judge: {report['config']['judge']}; report in {run}/report.md")


@eval_app.command("rescore")
def eval_rescore(
    run: Path = typer.Argument(..., help="A run folder made by `eval run`."),
    out: Path = typer.Option(..., help="New folder for the rescored run."),
    judge: str = typer.Option(JudgeName.LLM, help="Citation judge: llm | lexical."),
) -> None:
    """Judge a finished run's citations again with another judge (answers are not regenerated)."""
    from assistant.api import Assistant
    from assistant.errors import AssistantError
    from assistant.eval.judges import make_judge
    from assistant.eval.report import markdown_table
    from assistant.eval.runner import rescore

    settings = Settings()
    try:
        assistant = Assistant.load(settings)  # passage labels of runs recorded without them
    except AssistantError:
        assistant = None
    report = rescore(run, out, make_judge(judge, settings), assistant)
    print(markdown_table([("all", report["overall"])]))
    console.print(f"judge: {report['config']['judge']}; report in {out}/report.md")


@eval_app.command("calibrate")
def eval_calibrate(
    run: Path = typer.Argument(..., help="A run folder, best made with RTMS_REFUSAL_THRESHOLD=0 and "
                                         "RTMS_REFUSAL_BM25_THRESHOLD=0."),
    signal: str = typer.Option(RetrievalMode.DENSE, help="dense (best cosine) | bm25 (best BM25 in units of the "
                                                         "largest IDF)."),
    start: float | None = typer.Option(None, help="Lowest threshold (default 0.20 dense, 0 bm25)."),
    stop: float | None = typer.Option(None, help="Highest threshold (default 0.80 dense, 2.5 bm25)."),
    step: float | None = typer.Option(None, help="Step (default 0.025 dense, 0.1 bm25)."),
    max_wrong_refusal: float = typer.Option(0.10, help="Largest acceptable wrong-refusal rate."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Sweep the refusal threshold over the recorded best-passage cosines (no re-run)."""
    from assistant.eval import calibrate
    from assistant.eval.compare import load_run
    from assistant.eval.records import read_records

    if signal not in calibrate.SIGNALS:
        raise typer.BadParameter(f"use one of {', '.join(calibrate.SIGNALS)}", param_hint="--signal")
    dense = signal == RetrievalMode.DENSE
    start = start if start is not None else (0.20 if dense else 0.0)
    stop = stop if stop is not None else (0.80 if dense else 2.5)
    step = step if step is not None else (0.025 if dense else 0.1)
    report = load_run(run)
    records = read_records(run)
    settings = report["config"].get("settings", {})
    top_k = int(settings.get("top_k", field_default("top_k")))
    key = "refusal_threshold" if dense else "refusal_bm25_threshold"
    run_t = float(settings[key]) if key in settings else None
    n = int(round((stop - start) / step)) + 1
    rows = calibrate.sweep(records, [start + i * step for i in range(n)], top_k=top_k, run_threshold=run_t,
                           signal=signal)
    chosen = calibrate.choose_threshold(rows, max_wrong_refusal)
    auc = calibrate.auc(records, top_k, signal)
    if as_json:
        print(json.dumps({"signal": signal, "auc": auc, "rows": rows, "chosen": chosen, "run_threshold": run_t},
                         indent=2))
        return
    print(calibrate.markdown(rows, chosen))
    if auc is not None:
        console.print(f"{signal}: AUC answerable vs unanswerable = {auc:.3f} (0.5 = no separation)")
    if chosen:
        console.print(f"chosen threshold {chosen['threshold']:.3f}: refusal {100 * chosen['refusal_rate']:.1f} %, "
                      f"wrong refusal {100 * chosen['wrong_refusal_rate']:.1f} %")
    else:
        console.print(f"no threshold keeps wrong refusals ≤ {100 * max_wrong_refusal:.0f} %")


@eval_app.command("pubmedqa-calibrate")
def eval_pubmedqa_calibrate(
    run: Path = typer.Argument(..., help="A PubMedQA run folder made with --subset calib (llama-cpp backend)."),
) -> None:
    """The yes/no log-odds threshold (RTMS_VERDICT_YES_THRESHOLD) that a calibration run supports."""
    from assistant.eval.pubmedqa.scoring import best_yes_threshold
    from assistant.eval.runfiles import read_results

    best = best_yes_threshold(read_results(run))
    if best is None:
        console.print(f"{run} has no answers with verdict_logodds: run `eval pubmedqa --subset calib` with the "
                      "llama-cpp backend first.")
        raise typer.Exit(1)
    console.print(f"threshold {best['threshold']:+.3f}: {100 * best['accuracy']:.1f} % right on {best['n']} "
                  "answered questions (maybe counts as wrong); set RTMS_VERDICT_YES_THRESHOLD to use it.")


@eval_app.command("pubmedqa-fit-verdict")
def eval_pubmedqa_fit_verdict(
    limit: int | None = typer.Option(None, help="Fit on the first N calibration questions (default: all 400)."),
    out: Path | None = typer.Option(None, help="Where to write the model (default: the shipped "
                                               "assistant/answer/verdict_model.json)."),
    data: Path | None = typer.Option(None, help="PubMedQA data folder (default: RTMS_PUBMEDQA_DIR)."),
    probes: Path | None = typer.Option(None, help="JSONL of the LLM's probes (PMID, label, both log-odds): read "
                                                  "when it exists, so a refit skips the LLM; written after "
                                                  "probing when it does not."),
) -> None:
    """Fit the verdict model on PubMedQA questions outside dev100 (~2–3 s a question with the default LLM)."""
    from assistant.answer.verdict import MODEL_FILE
    from assistant.eval.pubmedqa.data import load_pubmedqa
    from assistant.eval.pubmedqa.verdict_fit import fit_verdict_model

    settings = Settings()
    model = fit_verdict_model(load_pubmedqa(data, settings, splits=("dev",)), settings, out or MODEL_FILE, limit,
                              probes_file=probes)
    console.print(f"verdict model: weights {model.weights}, bias {model.bias:+.3f}, fitted on {model.n} "
                  f"questions, cross-validated accuracy {100 * (model.cv_accuracy or 0):.1f} % -> {out or MODEL_FILE}")
