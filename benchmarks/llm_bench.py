"""llama.cpp speed on this machine: prompt and generation tokens/s per build option and decoding option.

1. Build options. The Makefile builds llama-cpp-python with ``GGML_BACKEND_DL=ON GGML_CPU_ALL_VARIANTS=ON``: one
   CPU backend per instruction-set level, the best one for the CPU loaded at run time. Each level is timed in its
   own process on the same prompt; ``haswell`` (AVX2, FMA, F16C) is what the former portable build
   (``GGML_NATIVE=OFF``) compiled, so it is the baseline. Other builds (e.g. a ``GGML_NATIVE=ON`` wheel unpacked
   into a folder) can be added with ``--build NAME=FOLDER``.
2. Grammar sampling (``--grammar``): the project's real answers with llama-cpp-python's grammar sampler (every
   token of the vocabulary matched against the grammar at each step) and with ``RTMS_LLM_GRAMMAR_ARGMAX_FIRST``
   (the best token checked alone first).
3. Flash attention (``--flash-attn``): the project's real answers with ``RTMS_LLM_FLASH_ATTN`` off and on (first
   token is mostly prompt evaluation).

    .venv/bin/python benchmarks/llm_bench.py [--levels auto,haswell,skylakex,zen4] [--prompt-tokens 965]
        [--gen 64] [--repeats 3] [--grammar] [--flash-attn] [--questions 5]
        [--build native=/tmp/llb-native]
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
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASELINE = "haswell"


def worker(spec: dict) -> dict:
    """Runs in a child process: load one CPU backend level, time prompt processing and greedy generation."""
    from assistant.answer.llm import load_ggml_backends

    level = spec["level"]
    load_ggml_backends(None if level in ("auto", "linked-in") else level)
    from llama_cpp import Llama

    t0 = time.perf_counter()
    llm = Llama(model_path=spec["model"], n_ctx=4096, n_threads=spec["threads"], n_threads_batch=spec["threads"],
                n_batch=512, seed=0, verbose=False)
    load_s = time.perf_counter() - t0
    toks = llm.tokenize(spec["prompt"].encode())[: spec["prompt_tokens"]]
    import llama_cpp
    import numpy as np

    prompt_tps, gen_tps, outs = [], [], []
    for _ in range(spec["repeats"]):  # llama.cpp's own timers: decode time only, no Python sampling in it
        llm.reset()
        llm._ctx.kv_cache_clear()
        llama_cpp.llama_perf_context_reset(llm.ctx)
        llm.eval(toks)
        out = []
        for _ in range(spec["gen"]):  # greedy: argmax of the last logits
            logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
            out.append(int(np.argmax(logits)))
            llm.eval([out[-1]])
        perf = llama_cpp.llama_perf_context(llm.ctx)
        prompt_tps.append(perf.n_p_eval / (perf.t_p_eval_ms / 1000))
        gen_tps.append(perf.n_eval / (perf.t_eval_ms / 1000))
        outs.append(out)
    return {"prompt_tps": statistics.median(prompt_tps), "gen_tps": statistics.median(gen_tps), "load_s": load_s,
            "n_prompt": len(toks), "output": outs[0], "same_each_repeat": all(o == outs[0] for o in outs)}


def run_level(level: str, spec: dict, pythonpath: str | None = None) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, __file__, "--worker"], input=json.dumps({**spec, "level": level}),
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_prompt(settings, n_tokens: int) -> str:  # noqa: ANN001
    """Real corpus text (chunks of the built index) long enough for ``n_tokens`` model tokens."""
    from assistant.index.store import IndexStore

    texts, chars = [], 0
    for c in IndexStore.open(settings).chunks:
        texts.append(c.text)
        chars += len(c.text)
        if chars > n_tokens * 6:
            break
    return "Passages:\n" + "\n\n".join(texts) + "\n\nQuestion: which cytokines change after rTMS?\nAnswer:"


def builds(args: argparse.Namespace, settings) -> None:  # noqa: ANN001
    from assistant.answer.llm import cpu_backend_variants, llm_threads
    from assistant.answer.model_files import answer_model_path

    variants = cpu_backend_variants()
    usable = [v for v, score in variants.items() if score > 0]
    best = max(usable, key=lambda v: variants[v]) if usable else None
    levels = [lv for lv in args.levels.split(",") if lv == "auto" or lv in usable] if variants else ["linked-in"]
    spec = {"model": str(answer_model_path(settings)), "threads": llm_threads(settings), "gen": args.gen,
            "repeats": args.repeats, "prompt_tokens": args.prompt_tokens,
            "prompt": bench_prompt(settings, args.prompt_tokens)}
    print(f"CPU backend levels in this build: {', '.join(f'{v}({s})' for v, s in variants.items()) or 'linked in'}"
          f"; best here: {best}", flush=True)
    print(f"model {Path(spec['model']).name} · {spec['threads']} threads · prompt ≤{args.prompt_tokens} tokens · "
          f"{args.gen} generated · median of {args.repeats}", flush=True)
    rows: list[tuple[str, dict]] = []
    for level in levels:
        rows.append((level + (f" (= {best})" if level == "auto" else ""), run_level(level, spec)))
        print(f"  {rows[-1][0]}: {rows[-1][1]}" if "error" in rows[-1][1] else f"  {rows[-1][0]} done", flush=True)
    for name, folder in (b.split("=", 1) for b in args.build):
        rows.append((name, run_level("auto", spec, folder)))
    base = next((r for n, r in rows if n.startswith(BASELINE) and "error" not in r), None)
    print(f"\n| build option | prompt tokens/s | generation tokens/s | prompt vs {BASELINE} | generation vs "
          f"{BASELINE} | same greedy output |")
    print("|---|---|---|---|---|---|")
    for name, r in rows:
        if "error" in r:
            print(f"| {name} | error: {r['error'][:80]} | | | | |")
            continue
        pr = f"{r['prompt_tps'] / base['prompt_tps']:.2f}x" if base else "–"
        gr = f"{r['gen_tps'] / base['gen_tps']:.2f}x" if base else "–"
        same = "yes" if base and r["output"] == base["output"] else ("–" if not base else "no")
        print(f"| {name} | {r['prompt_tps']:.1f} | {r['gen_tps']:.1f} | {pr} | {gr} | {same} |")


def compare(args: argparse.Namespace, settings, configs: dict[str, dict], what: str) -> None:  # noqa: ANN001
    """Real answers under each settings update in ``configs`` (the first is the baseline), alternating per
    question: first token, total, generation tokens/s and whether the greedy output is identical."""
    from assistant.answer.contracts import Answer
    from assistant.api import Assistant
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from answer_bench import QUESTIONS, WARMUP

    assistants = {name: Assistant.load(settings.model_copy(update=update)) for name, update in configs.items()}
    for a in assistants.values():
        a.warm_up()
        a.ask(WARMUP)
    import llama_cpp

    base_name = next(iter(configs))
    res: dict[str, list[tuple[float, float, float, str]]] = {n: [] for n in configs}
    cache: list[tuple[int, int]] = []  # (prompt tokens, prompt tokens evaluated) of the baseline
    for q in QUESTIONS[: args.questions]:
        for name, a in assistants.items():
            llama = a.engine.llm("llama-cpp")._llama
            llama_cpp.llama_perf_context_reset(llama._ctx.ctx)
            t0 = time.perf_counter()
            first, ans, n_deltas = None, None, 0
            for item in a.stream(q, backend="llama-cpp"):
                if isinstance(item, Answer):
                    ans = item
                elif isinstance(item, str) and item:
                    first = first or time.perf_counter() - t0
                    n_deltas += 1
            total = time.perf_counter() - t0
            assert ans is not None
            first = first or total
            gen_tps = n_deltas / (total - first) if total > first else 0.0
            res[name].append((first, total, gen_tps, ans.raw_answer))
            if name == base_name:
                perf = llama_cpp.llama_perf_context(llama._ctx.ctx)
                cache.append((llama.n_tokens - perf.n_eval, perf.n_p_eval))
    base = res[base_name]
    print(f"\n{what} on {len(base)} real answers (greedy, same questions, alternating)")
    print("| setting | first token median | total median | generation tokens/s median | identical raw answers |")
    print("|---|---|---|---|---|")
    for name, rows in res.items():
        same = sum(r[3] == o[3] for r, o in zip(rows, base, strict=True))
        print(f"| {name} | {statistics.median(r[0] for r in rows):.2f} s | {statistics.median(r[1] for r in rows):.2f}"
              f" s | {statistics.median(r[2] for r in rows):.1f} | {same}/{len(rows)} |")
    print(f"prefix cache ({base_name}): median prompt {statistics.median(c[0] for c in cache):.0f} tokens, of which "
          f"{statistics.median(c[0] - c[1] for c in cache):.0f} reused from the previous question (the fixed system "
          f"prompt) and {statistics.median(c[1] for c in cache):.0f} evaluated")
    for name, rows in list(res.items())[1:]:
        def ratio(i: int, rows: list = rows) -> float:
            return statistics.median(r[i] for r in rows) / statistics.median(r[i] for r in base)

        print(f"{name} / {base_name} (median): first token {ratio(0):.2f}x, total {ratio(1):.2f}x, generation "
              f"tokens/s {ratio(2):.2f}x")
        for r, o in zip(rows, base, strict=True):
            if r[3] != o[3]:
                print(f"  differs:\n    {base_name:8} {o[3][:160]!r}\n    {name:8} {r[3][:160]!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--levels", default="auto,haswell,icelake",
                    help="CPU backend levels to time (those this CPU cannot run are skipped)")
    ap.add_argument("--build", action="append", default=[], metavar="NAME=FOLDER",
                    help="also time the llama_cpp package found in FOLDER (e.g. an unpacked GGML_NATIVE=ON wheel)")
    ap.add_argument("--prompt-tokens", type=int, default=965)
    ap.add_argument("--gen", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--questions", type=int, default=5)
    ap.add_argument("--grammar", action="store_true",
                    help="real answers with llama.cpp's grammar sampler and with the argmax-first one")
    ap.add_argument("--flash-attn", action="store_true", help="real answers with flash attention off and on")
    ap.add_argument("--no-builds", action="store_true")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(sys.stdin.read()))))
        return 0
    from assistant.settings import Settings

    settings = Settings(backend="llama-cpp", refusal_threshold=0.0, refusal_bm25_threshold=0.0,
                        refusal_missing_terms=False)
    if not args.no_builds:
        builds(args, settings)
    if args.grammar:
        compare(args, settings, {"llama.cpp grammar": {"llm_grammar_argmax_first": False},
                                 "argmax first": {"llm_grammar_argmax_first": True}},
                "grammar-constrained decoding, llama.cpp's grammar sampler vs the best token checked first")
    if args.flash_attn:
        compare(args, settings, {"attention": {"llm_flash_attn": False}, "flash attention": {"llm_flash_attn": True}},
                "llama.cpp attention kernels, plain vs flash attention")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
