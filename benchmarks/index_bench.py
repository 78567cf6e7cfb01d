"""Index benchmark (printed, not asserted).

1. Build throughput: the full pipeline (read → chunk → embed → write) in chunks/s beside raw
   ``SentenceTransformer.encode`` on the same texts, in the same run (target: pipeline ≥ 85 % of raw).
2. Hybrid search latency p50/p95 at 1k, 10k and 100k chunks (synthetic vectors and texts; the query vector
   is given, so this measures retrieval; query encoding is timed separately).
3. Study records (``--studies``): the PubMedQA abstracts' index built with and without the study-record
   extraction in the same run (``build_index(records=...)``): one cold build (every chunk and sentence embedded;
   with ``--cold-both`` a second one with records, else that one is estimated as cold + the warm difference) and
   warm builds (embeddings from the cache, so read + chunk + extract + write: the harshest ratio), medians of
   ``--repeats``, in documents/s, with the extraction-only throughput (target: with extraction <= 2x without).
4. Embedders (``--embedders``): the float32 sentence-transformers MiniLM beside its int8 ONNX copy
   (``all-MiniLM-L6-v2@onnx-int8``), each building the PubMedQA abstracts' index from scratch (same corpus, empty
   embedding cache, model loaded outside the timing; ``--repeats`` interleaved builds, medians): build seconds (wall
   and this process's CPU seconds, the steadier figure on a shared machine), chunks/s and sentences/s of the
   encoding (the builder times both), the ratios, and retrieval recall@5 of the dev questions' own abstracts (dense
   and hybrid) over each index.
4. Import (``--import-entries N``, default 200; ``--import-only``): a generated Zotero-style export (RIS beside
   files/, N entries each with a two-page PDF made with reportlab), imported with `corpus import` in papers/s, then
   imported again (nothing changes: the re-import's papers/s); ``--import-index`` also times the index build.

Run: .venv/bin/python benchmarks/index_bench.py [--docs 30] [--sizes 1000,10000,100000] [--import-entries 200]
     .venv/bin/python benchmarks/index_bench.py --embedders [--abstracts N] [--questions 500] [--repeats 1]
     .venv/bin/python benchmarks/index_bench.py --studies [--abstracts 1000] [--repeats 3] [--cold-both]
"""

from __future__ import annotations

import argparse
import inspect
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

from assistant.corpus.contracts import DocumentMeta  # noqa: E402
from assistant.index.builder import build_index  # noqa: E402
from assistant.index.chunking import embedding_text  # noqa: E402
from assistant.index.contracts import Chunk  # noqa: E402
from assistant.index.embedding import Embedder  # noqa: E402
from assistant.index.retrieve import HybridRetriever  # noqa: E402
from assistant.index.store import IndexData, IndexStore, build_faiss, load_version  # noqa: E402
from assistant.settings import Settings  # noqa: E402

VOCAB = [
    "rtms", "microglia", "astrocyte", "spinal", "cord", "dorsal", "root", "ganglion", "il1beta", "tnfalpha",
    "il6", "il10", "bdnf", "gfap", "iba1", "nnos", "mglur5", "nmdar2b", "cci", "sni", "rat", "mouse",
    "cortex", "m1", "dlpfc", "10hz", "1hz", "20hz", "sessions", "pain", "threshold", "allodynia",
    "hyperalgesia", "cytokine", "inflammation", "neuropathic", "stimulation", "motor", "sham", "patients",
    "trial",
]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def synthetic_corpus(root: Path, docs: int) -> None:
    rng = np.random.default_rng(0)
    (root / "digest").mkdir(parents=True)
    for d in range(docs):
        paras = []
        for _ in range(10):
            sents = [" ".join(rng.choice(VOCAB, 18)).capitalize() + "." for _ in range(8)]
            paras.append(" ".join(sents))
        body = "\n\n".join(f"## Part {i}\n{p}" for i, p in enumerate(paras))
        (root / "digest" / f"doc{d}.md").write_text(
            f"---\nid: doc{d}\ntitle: Synthetic study {d}\nauthors: [Bench AB]\nyear: 2020\n"
            f"doi: 10.0/{d}\n---\n{body}\n")


def bench_build(docs: int) -> None:
    emb = Embedder()
    _ = emb.model  # load once, outside both timings
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        synthetic_corpus(root / "corpus", docs)
        s = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
        t0 = time.perf_counter()
        summary = build_index(s, progress=False, embedder=emb)
        pipe_s = time.perf_counter() - t0
        data = load_version(Path(summary.path))
        titles = {d.doc_id: d.title for d in data.documents}
        texts = [embedding_text(titles[c.doc_id], c) for c in data.chunks]
        t0 = time.perf_counter()
        emb.model.encode(texts, batch_size=s.embed_batch_size, normalize_embeddings=True)
        raw_s = time.perf_counter() - t0
    n = summary.chunks
    print(f"build: {n} chunks from {docs} documents")
    print(f"  pipeline   {n / pipe_s:7.1f} chunks/s  ({pipe_s:.1f} s, read+chunk+embed+write)")
    print(f"  raw encode {n / raw_s:7.1f} chunks/s  ({raw_s:.1f} s, SentenceTransformer.encode)")
    print(f"  ratio      {raw_s / pipe_s * 100:6.1f} % of raw encode throughput (target >= 85 %)")


def synthetic_export(folder: Path, n: int) -> None:
    """A Zotero "Export Files" folder: library.ris and files/<i>/paper.pdf (two pages of invented text each)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    rng = np.random.default_rng(2)
    records = []
    for i in range(n):
        pdf = folder / "files" / str(i) / f"Bench {i}.pdf"
        pdf.parent.mkdir(parents=True)
        c = canvas.Canvas(str(pdf), pagesize=A4, invariant=True)
        for _ in range(2):
            for line in range(15):
                c.drawString(60, 800 - 18 * line, " ".join(rng.choice(VOCAB, 12)).capitalize() + ".")
            c.showPage()
        c.save()
        records.append(f"TY  - JOUR\nTI  - Synthetic imported study {i}\nAU  - Bench, Anna\nPY  - {2000 + i % 25}\n"
                       f"T2  - J Synthetic Res\nDO  - 10.0/import.{i}\nAB  - Synthetic abstract {i}.\n"
                       f"L1  - files/{i}/Bench {i}.pdf\nER  - \n")
    (folder / "library.ris").write_text("\n".join(records), encoding="utf-8")


def bench_import(entries: int, index: bool) -> None:
    from assistant.corpus.library.importer import import_export

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        synthetic_export(root / "export", entries)
        s = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
        t0 = time.perf_counter()
        report = import_export(s, root / "export", progress=False)
        import_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = import_export(s, root / "export", progress=False)
        again_s = time.perf_counter() - t0
        print(f"import: {entries} entries with PDFs -> {report.summary()}")
        print(f"  import     {entries / import_s:7.1f} papers/s  ({import_s:.1f} s, parse + validate PDFs + copy)")
        print(f"  re-import  {entries / again_s:7.1f} papers/s  ({again_s:.1f} s, {len(again.unchanged)} unchanged)")
        if index:
            emb = Embedder()
            _ = emb.model  # loaded outside the timing
            t0 = time.perf_counter()
            summary = build_index(s, progress=False, embedder=emb)
            build_s = time.perf_counter() - t0
            print(f"  index      {summary.documents / build_s:7.1f} papers/s  "
                  f"({build_s:.1f} s, {summary.chunks} chunks)")


def synthetic_store(n: int, dim: int = 384, kind: str = "flat") -> IndexStore:
    rng = np.random.default_rng(1)
    vecs = rng.standard_normal((n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    n_docs = max(1, n // 20)
    docs = [DocumentMeta(doc_id=f"d{i}#text", paper_id=f"d{i}", title=f"Doc {i}", year=2000 + i % 24)
            for i in range(n_docs)]
    words = rng.choice(VOCAB, (n, 40))
    chunks = [Chunk(chunk_id=f"c{i}", doc_id=f"d{i % n_docs}#text", paper_id=f"d{i % n_docs}", ord=i, section="",
                    char_start=0, char_end=1, text=" ".join(words[i])) for i in range(n)]
    data = IndexData(docs, chunks, vecs)
    return IndexStore(data, build_faiss(vecs, kind, Settings().hnsw_from_chunks), Path("."))


def bench_search(sizes: list[int], queries: int = 100) -> None:
    rng = np.random.default_rng(2)
    print("hybrid search latency (RRF of FAISS + BM25, cap per paper, k=5; query vector given)")
    for n in sizes:
        for kind in ("flat", "auto") if n >= 100_000 else ("auto",):
            store = synthetic_store(n, kind=kind)
            r = HybridRetriever(store, Settings(faiss_index=kind))
            qs = [" ".join(rng.choice(VOCAB, 6)) for _ in range(queries)]
            qv = rng.standard_normal((queries, 384)).astype(np.float32)
            qv /= np.linalg.norm(qv, axis=1, keepdims=True)
            r.search(qs[0], 5, qvec=qv[0])
            times = []
            for q, v in zip(qs, qv, strict=True):
                t0 = time.perf_counter()
                r.search(q, 5, qvec=v)
                times.append((time.perf_counter() - t0) * 1000)
            actual = type(store.faiss).__name__
            print(f"  {n:>7,} chunks [{kind}: {actual}]  p50 {statistics.median(times):6.2f} ms  "
                  f"p95 {pct(times, 95):6.2f} ms"
                  "  (target p95 <= 20 ms at 100k)")
    emb = Embedder()
    emb.encode_query("warm up")
    t = []
    for q in ("rTMS IL-1β spinal cord", "Which glial markers does rTMS reduce?", "10 Hz M1 CCI rats BDNF"):
        for _ in range(10):
            t0 = time.perf_counter()
            emb.encode_query(q)
            t.append((time.perf_counter() - t0) * 1000)
    print(f"  query encoding (MiniLM, CPU): p50 {statistics.median(t):.1f} ms  p95 {pct(t, 95):.1f} ms")


def bench_embedders(abstracts: int | None, n_questions: int, repeats: int = 1,
                    names: tuple[str, ...] = ("all-MiniLM-L6-v2", "all-MiniLM-L6-v2@onnx-int8")) -> None:
    """Cold builds of the PubMedQA abstracts' index with each embedder (empty embedding cache, model loaded outside
    the timing), interleaved ``repeats`` times so both meet the same machine load; medians, then recall@5."""
    from assistant.api import Assistant
    from assistant.eval.dataset import DatasetError
    from assistant.eval.pubmedqa.build import ensure_index
    from assistant.eval.pubmedqa.data import load_pubmedqa

    base = Settings()
    try:
        data = load_pubmedqa(settings=base, splits=("dev",))
    except DatasetError as exc:
        print(f"embedders: skipped ({exc})")
        return
    questions = data.split("dev")[:n_questions]
    embedders = {}
    for name in names:
        embedders[name] = Embedder(name, base.embed_batch_size)
        embedders[name].encode(["load the model (and make the int8 copy) before the clock starts"])
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    recall: dict[str, dict[str, float]] = {}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            for name in names:
                s = base.model_copy(update={"embedder": name})
                emb = embedders[name]
                folder = Path(tmp) / f"{name}-{r}"  # a new folder: an empty embedding cache, every text encoded
                t0, c0 = time.perf_counter(), time.process_time()
                idx = ensure_index(s, data, [q.pmid for q in questions], distractors=abstracts, cache_dir=folder,
                                   rebuild=True, progress=False, embedder=emb)
                build_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
                summ = idx.info["summary"]
                runs[name].append({"build": build_s, "cpu": cpu_s, "documents": summ["documents"],
                                   "chunks": summ["chunks"],
                                   "sentences": summ["embedded_sentences"], "chunk_s": summ["chunk_seconds"],
                                   "sentence_s": summ["sentence_seconds"]})
                print(f"  run {r + 1} {name}: {summ['chunks']} chunks ({summ['chunk_seconds']:.1f} s), "
                      f"{summ['embedded_sentences']} sentences ({summ['sentence_seconds']:.1f} s), "
                      f"build {build_s:.1f} s ({cpu_s:.1f} CPU s)", flush=True)
                if r == repeats - 1:
                    a = Assistant.load(idx.settings)
                    a.retriever._embedder = emb  # the loaded model encodes the queries too
                    gold = {d.pmid: d.paper_id for d in a.store.docs.values() if d.pmid}
                    hits: dict[str, int] = {"dense": 0, "hybrid": 0}
                    for q in questions:  # both modes of one question in turn: its vector is encoded once
                        for mode in hits:
                            hits[mode] += gold.get(q.pmid) in {p.chunk.paper_id for p in a.search(q.question, 5,
                                                                                                  mode=mode)}
                    recall[name] = {mode: 100 * n / len(questions) for mode, n in hits.items()}
                shutil.rmtree(folder, ignore_errors=True)
    load = max(load, os.getloadavg()[0])

    def med(name: str, key: str) -> float:
        return statistics.median(x[key] for x in runs[name])

    def rate(name: str, n: str, sec: str) -> float:
        return statistics.median(x[n] / x[sec] for x in runs[name])

    n_docs, n_chunks, n_sents = (runs[names[0]][0][k] for k in ("documents", "chunks", "sentences"))
    print(f"\nembedders on the PubMedQA abstracts ({n_docs:.0f} abstracts, {n_chunks:.0f} chunks, "
          f"{n_sents:.0f} sentences; recall@5 of {len(questions)} dev questions' own abstracts); cold builds, "
          f"medians of {repeats}; load average up to {load:.1f} on {os.cpu_count()} cores")
    print("| embedder | build s | build CPU s | chunks/s | sentences/s | build vs float32 | recall@5 dense | "
          "recall@5 hybrid |")
    print("|---|---|---|---|---|---|---|---|")
    ref = med(names[0], "build")
    for name in names:
        print(f"| {name} | {med(name, 'build'):.1f} | {med(name, 'cpu'):.1f} | {rate(name, 'chunks', 'chunk_s'):.1f} | "
              f"{rate(name, 'sentences', 'sentence_s'):.1f} | {ref / med(name, 'build'):.2f}x | "
              f"{recall[name]['dense']:.1f} % | {recall[name]['hybrid']:.1f} % |")
    if len(names) != 2:
        return
    a, b = names
    print(f"int8 / float32: chunks/s {rate(b, 'chunks', 'chunk_s') / rate(a, 'chunks', 'chunk_s'):.2f}x, "
          f"sentences/s {rate(b, 'sentences', 'sentence_s') / rate(a, 'sentences', 'sentence_s'):.2f}x, "
          f"recall@5 hybrid {recall[b]['hybrid'] - recall[a]['hybrid']:+.1f} points, "
          f"dense {recall[b]['dense'] - recall[a]['dense']:+.1f}")


def bench_studies(abstracts: int | None, repeats: int, cold_both: bool) -> None:
    from assistant.eval.dataset import DatasetError
    from assistant.eval.pubmedqa.build import write_corpus
    from assistant.eval.pubmedqa.data import load_pubmedqa
    from assistant.studies.extract import extract_record

    base = Settings()
    try:
        data = load_pubmedqa(settings=base, splits=())
    except DatasetError as exc:
        print(f"studies: skipped ({exc})")
        return
    pmids = sorted(data.abstracts)[:abstracts]
    in_builder = "records" in inspect.signature(build_index).parameters
    emb = Embedder(base.embedder, base.embed_batch_size)
    emb.encode(["load the model before the clock starts"])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_corpus(data, pmids, root / "corpus")
        cache = root / "embed_cache.sqlite"
        runs = iter(range(1, 1000))

        def build(records: bool, warm: bool) -> tuple[float, int]:
            s = base.model_copy(update={"corpus_dir": root / "corpus", "index_dir": root / f"index-{next(runs)}"})
            s.index_dir.mkdir()
            if warm:
                shutil.copy(cache, s.index_dir / "embed_cache.sqlite")
            t0 = time.perf_counter()
            if in_builder:
                summary = build_index(s, rebuild=True, progress=False, embedder=emb, records=records)
            else:  # the builder does not extract yet: the same extraction over the built index, added
                summary = build_index(s, rebuild=True, progress=False, embedder=emb)
                if records:
                    extract_all(load_version(Path(summary.path)))
            seconds = time.perf_counter() - t0
            if not cache.exists():
                shutil.copy(s.index_dir / "embed_cache.sqlite", cache)
            shutil.rmtree(s.index_dir)
            label = f"{'warm' if warm else 'cold'} build {'with' if records else 'without'} records"
            print(f"  {label}: {seconds:.1f} s", flush=True)
            times.setdefault(("warm" if warm else "cold", records), []).append(seconds)
            return seconds, summary.documents

        def extract_all(built: IndexData) -> None:
            by_doc: dict[str, list[Chunk]] = {}
            for c in built.chunks:
                by_doc.setdefault(c.doc_id, []).append(c)
            for d in built.documents:
                extract_record(d, by_doc.get(d.doc_id, []))

        times: dict[tuple[str, bool], list[float]] = {}
        _, docs = build(False, warm=False)  # every chunk and sentence embedded; fills the cache the rest reuse
        if cold_both:
            build(True, warm=False)
        for _ in range(repeats):
            for records in (False, True):  # interleaved, so both meet the same machine load
                build(records, warm=True)
        s = base.model_copy(update={"corpus_dir": root / "corpus", "index_dir": root / "index-x"})
        s.index_dir.mkdir()
        shutil.copy(cache, s.index_dir / "embed_cache.sqlite")
        built = load_version(Path(build_index(s, rebuild=True, progress=False, embedder=emb).path))
        alone = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            extract_all(built)
            alone.append(time.perf_counter() - t0)
    warm_off, warm_on = statistics.median(times[("warm", False)]), statistics.median(times[("warm", True)])
    cold_off = times[("cold", False)][0]
    cold_on = times[("cold", True)][0] if cold_both else cold_off + (warm_on - warm_off)
    where = "in the builder" if in_builder else "extraction added after the build"
    print(f"\nstudy records on the PubMedQA abstracts ({docs} documents; {where}; warm: medians of {repeats})")
    print("| build | without records s | docs/s | with records s | docs/s | with / without |")
    print("|---|---|---|---|---|---|")
    estimated = "" if cold_both else " (est.: cold + warm difference)"
    print(f"| cold (all embedded) | {cold_off:.1f} | {docs / cold_off:.1f} | {cold_on:.1f}{estimated} | "
          f"{docs / cold_on:.1f} | {cold_on / cold_off:.2f}x |")
    print(f"| warm (embeddings cached) | {warm_off:.1f} | {docs / warm_off:.1f} | {warm_on:.1f} | "
          f"{docs / warm_on:.1f} | {warm_on / warm_off:.2f}x |")
    x = statistics.median(alone)
    print(f"extraction alone: {x:.2f} s, {docs / x:.0f} documents/s (target: with records <= 2x without)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=30)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--embedders", action="store_true", help="only the embedder comparison on PubMedQA abstracts")
    ap.add_argument("--abstracts", type=int, default=None,
                    help="embedders: the dev questions' abstracts plus this many others; studies: the first N "
                         "abstracts (default: all 1,000)")
    ap.add_argument("--questions", type=int, default=500, help="embedders: dev questions for recall@5")
    ap.add_argument("--names", default="all-MiniLM-L6-v2,all-MiniLM-L6-v2@onnx-int8",
                    help="embedders: the embedders compared, the first the reference of the ratios")
    ap.add_argument("--studies", action="store_true",
                    help="only the index build with and without study-record extraction (PubMedQA abstracts)")
    ap.add_argument("--repeats", type=int, default=None,
                    help="studies: warm builds per mode (default 3); embedders: cold builds per embedder, "
                         "interleaved (default 1); medians")
    ap.add_argument("--cold-both", action="store_true",
                    help="studies: also time a cold build with records (else estimated from the warm difference)")
    ap.add_argument("--import-entries", type=int, default=200, help="import: generated export entries (0: skip)")
    ap.add_argument("--import-only", action="store_true", help="only the import benchmark")
    ap.add_argument("--import-index", action="store_true", help="import: also time the index build")
    args = ap.parse_args()
    if args.studies:
        bench_studies(args.abstracts, args.repeats or 3, args.cold_both)
        return
    if args.import_only:
        bench_import(args.import_entries, args.import_index)
        return
    if args.embedders:
        bench_embedders(args.abstracts, args.questions, args.repeats or 1, tuple(args.names.split(",")))
        return
    if not args.skip_build:
        bench_build(args.docs)
    bench_search([int(x) for x in args.sizes.split(",")])
    if args.import_entries:
        bench_import(args.import_entries, args.import_index)


if __name__ == "__main__":
    main()
