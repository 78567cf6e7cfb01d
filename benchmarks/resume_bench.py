"""Resume benchmark (printed, not asserted): kill -9 an `index build` half-way through embedding, build again,
and count how much of the killed build's work is embedded a second time.

The corpus is N PubMedQA abstracts from ../shared/benchmarks/pubmedqa (one PubMed XML file each, as
`eval pubmedqa` writes them), or synthetic abstracts when that folder is missing. The killed build runs as a real
`rtms-assistant index build` process; the benchmark polls the embedding cache and sends SIGKILL when it holds
about ``--kill-at`` of all texts to embed (chunks and their sentences). The resumed build runs in this process
with a counting embedder. Before issue 12 the cache was written only at the end, so everything was lost.

Run: .venv/bin/python benchmarks/resume_bench.py [--abstracts 600] [--kill-at 0.5]
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from assistant.corpus.readers import read_documents  # noqa: E402
from assistant.corpus.sentences import MIN_EVIDENCE_CHARS, sentence_spans  # noqa: E402
from assistant.index.builder import build_index  # noqa: E402
from assistant.index.chunking import Chunker, embedding_text  # noqa: E402
from assistant.index.embedding import Embedder  # noqa: E402
from assistant.settings import Settings  # noqa: E402

CLI = str(Path(sys.executable).with_name("rtms-assistant"))


class CountingEmbedder:
    def __init__(self, real: Embedder) -> None:
        self.real, self.encoded = real, 0
        self.name, self.batch_size = real.name, real.batch_size

    def count_tokens(self, texts):  # type: ignore[no-untyped-def]
        return self.real.count_tokens(texts)

    def encode(self, texts, progress=False):  # type: ignore[no-untyped-def]
        self.encoded += len(texts)
        return self.real.encode(texts)


def write_corpus(corpus: Path, n: int) -> str:
    """N abstracts as PubMed XML files; returns where they came from."""
    try:
        from assistant.eval.pubmedqa.build import write_corpus as write_pqa
        from assistant.eval.pubmedqa.data import load_pubmedqa

        data = load_pubmedqa()
        pmids = sorted(data.abstracts)[:n]
        write_pqa(data, pmids, corpus)
        return f"{len(pmids)} PubMedQA abstracts"
    except Exception as exc:  # noqa: BLE001 - fall back to invented abstracts
        folder = corpus / "pubmed"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            body = " ".join(f"Invented sentence {j} of record {i} reports marker M{(i * 7 + j) % 97} after "
                            f"{5 + j % 15} sessions of stimulation in group {j}." for j in range(12))
            (folder / f"{i}.xml").write_text(
                f"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>{80000000 + i}</PMID><Article>"
                f"<ArticleTitle>Record {i}</ArticleTitle><Abstract><AbstractText>{body}</AbstractText></Abstract>"
                "</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>", encoding="utf-8")
        return f"{n} synthetic abstracts (PubMedQA unavailable: {exc})"


def texts_to_embed(settings: Settings, embedder: Embedder) -> int:
    """Distinct texts a build embeds (chunks, then their sentences), computed without embedding anything."""
    chunker = Chunker(embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)
    texts: set[str] = set()
    for path in sorted(settings.corpus_dir.rglob("*.xml")):
        for doc in read_documents(path):
            for c in chunker.chunk_document(doc):
                texts.add(embedding_text(doc.title, c))
                texts.update(s for _, _, s in sentence_spans(c.text) if len(s) >= MIN_EVIDENCE_CHARS)
    return len(texts)


def cached(cache: Path) -> int:
    if not cache.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM vectors").fetchone()[0])
    except sqlite3.Error:
        return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--abstracts", type=int, default=600)
    ap.add_argument("--kill-at", type=float, default=0.5, help="share of all texts embedded when SIGKILL is sent")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="resume-bench-") as tmp:
        root = Path(tmp)
        source = write_corpus(root / "corpus", args.abstracts)
        settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
        embedder = Embedder(settings.embedder, settings.embed_batch_size)
        total = texts_to_embed(settings, embedder)
        print(f"corpus: {source}; {total} distinct texts to embed (chunks + sentences), "
              f"batch size {settings.embed_batch_size}")

        env = {**os.environ, "RTMS_CORPUS_DIR": str(settings.corpus_dir), "RTMS_INDEX_DIR": str(settings.index_dir)}
        cache = settings.index_dir / "embed_cache.sqlite"
        t0 = time.perf_counter()
        proc = subprocess.Popen([CLI, "index", "build"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        target = int(total * args.kill_at)
        while proc.poll() is None and cached(cache) < target:
            time.sleep(0.2)
        if proc.poll() is not None:
            sys.exit(f"the build finished (exit {proc.returncode}) before {target} texts were embedded: "
                     "use more --abstracts")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed_after = time.perf_counter() - t0
        done = cached(cache)
        print(f"killed (SIGKILL) after {killed_after:.1f} s; texts committed to the cache by then: {done} "
              f"({done / total:.0%} of {total})")

        counting = CountingEmbedder(embedder)
        t1 = time.perf_counter()
        summary = build_index(settings, progress=False, embedder=counting)
        resume_s = time.perf_counter() - t1
        final = cached(cache)
        redone = counting.encoded - (final - done)
        print(f"resumed build: {summary.documents} documents, {summary.chunks} chunks in {resume_s:.1f} s; "
              f"embedded {counting.encoded} texts ({final} in the cache at the end)")
        print(f"re-embedded texts the killed build had committed: {redone} "
              f"({redone / max(done, 1):.1%} of its {done}; target <= 10%)")
        print(f"work in flight at the kill, lost at most: one batch = {settings.embed_batch_size} texts "
              f"({settings.embed_batch_size / max(done, 1):.1%} of the killed build's work)")
        print(f"before checkpoints (cache written at the end): all {done} texts would have been re-embedded "
              "(100%)")


if __name__ == "__main__":
    main()
