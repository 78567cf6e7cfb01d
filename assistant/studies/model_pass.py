"""The model's pass over a study record: design features the rules left empty, read by the LLM.

Rules first (``extract.py``); for a record whose ``design`` they left empty, the model reads the document's
sentences, numbered, and answers in JSON constrained by a grammar: which design features the text states of its
own study and the number of the sentence that states each. A feature is recorded only when that sentence exists
and states the feature's word stem ("retrospective", "cohort", "followed", ...); the sentence's words are the
quote, so a model value is as checkable as a rule's. Answers are cached by the document's text, the pass's
version and the model, in one JSON file: an incremental build asks the model only about new or changed documents.

The LLM is given by the caller (``Generates``): this module does not import the answer layer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from assistant.atomicio import write_text as write_atomic
from assistant.corpus.sentences import sentence_spans
from assistant.index.contracts import Chunk
from assistant.studies.contracts import Fact, Source, StudyRecord

__all__ = ["FEATURES", "MODEL_PASS_CACHE", "PASS_VERSION", "Generates", "ModelPass", "design_grammar",
           "design_messages", "parse_design"]

log = logging.getLogger(__name__)

MODEL_PASS_CACHE = "study-model-pass.json"
"""The cache file's name in the cache folder."""
PASS_VERSION = 1
"""Raise it when the prompt, the grammar or the checks change: cached answers of older versions are not used."""

FEATURES: dict[str, re.Pattern[str]] = {
    "randomised": re.compile(r"\brandom", re.I),
    "double-blind": re.compile(r"\b(?:double|triple)[- ]?(?:blind|mask)", re.I),
    "crossover": re.compile(r"\bcross-?over\b", re.I),
    "retrospective": re.compile(r"\bretrospective|\breview(?:ed|ing)?\b.{0,40}\b(?:records?|charts?|notes|database)"
                                r"|\b(?:records?|charts?|database|registry)\b.{0,40}\breview", re.I),
    "prospective": re.compile(r"\bprospective", re.I),
    "cohort": re.compile(r"\bcohorts?\b", re.I),
    "case-control": re.compile(r"\bcase[- ]control|\bcontrols?\b", re.I),
    "cross-sectional": re.compile(r"\bcross[- ]sectional|\bsurvey|\bquestionnaire", re.I),
    "follow-up": re.compile(r"\bfollow(?:ed)?[- ]?up\b|\bfollowed\b", re.I),
}
"""The design features the model may name (the record's ``design`` values) and the words a sentence must hold for
the model's choice of that sentence to be recorded: the model chooses among sentences that say the kind of thing,
it cannot give a design to a sentence that says nothing of it."""

MAX_SENTENCES = 24
MAX_CHARS = 2400
"""The document text shown to the model: its first sentences up to these limits (an abstract fits)."""

DESIGN_SYSTEM = (
    "You read the sentences of one biomedical paper's abstract and say how its own study was designed. "
    "Design features: randomised (participants randomly assigned), double-blind, crossover, retrospective "
    "(past records or data reviewed), prospective (participants enrolled and then observed), cohort (a group "
    "followed over time or compared by exposure), case-control (cases compared with matched controls), "
    "cross-sectional (one time point, e.g. a survey), follow-up (participants re-examined later). "
    "Name only features the abstract states or clearly describes for its own study, each with the number of "
    "the sentence that shows it. If none is stated, reply with an empty list. Reply in JSON."
)


class Generates(Protocol):
    """An LLM that writes a reply constrained by a GBNF grammar (the llama.cpp backend)."""

    model: str

    def generate(self, messages: list[dict[str, str]], stream: bool = False, max_tokens: int | None = None,
                 grammar: str | None = None) -> Any: ...


def _numbered(chunks: Sequence[Chunk]) -> list[tuple[Chunk, int, int]]:
    """The document's sentences in reading order, as (chunk, start, end), within the prompt's limits."""
    out: list[tuple[Chunk, int, int]] = []
    chars = 0
    for c in sorted(chunks, key=lambda c: c.ord):
        for start, end, _ in sentence_spans(c.text):
            text = c.text[start:end].strip()
            if not text:
                continue
            chars += len(text)
            if len(out) >= MAX_SENTENCES or chars > MAX_CHARS:
                return out
            out.append((c, start, end))
    return out


def design_messages(sentences: Sequence[str]) -> list[dict[str, str]]:
    """The chat messages asking for the design features of the numbered sentences."""
    body = "\n".join(f"{i}. {' '.join(s.split())}" for i, s in enumerate(sentences, 1))
    return [{"role": "system", "content": DESIGN_SYSTEM},
            {"role": "user", "content": f"Abstract:\n{body}\n\nWhich design features does it state?"}]


def design_grammar(n_sentences: int) -> str:
    """GBNF for ``{"design": [{"feature": ..., "sentence": k}, ...]}`` with at most three items and k in 1..n."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    schema = {"type": "object", "properties": {"design": {
        "type": "array", "maxItems": 3, "items": {
            "type": "object", "properties": {
                "feature": {"enum": list(FEATURES)},
                "sentence": {"enum": list(range(1, max(1, n_sentences) + 1))}},
            "required": ["feature", "sentence"]}}}, "required": ["design"]}
    return str(json_schema_to_gbnf(json.dumps(schema)))


def parse_design(reply: str, n_sentences: int) -> list[tuple[str, int]]:
    """(feature, sentence index from 0) pairs of a reply; an unreadable reply gives none."""
    try:
        items = json.loads(reply).get("design", [])
    except (json.JSONDecodeError, AttributeError):
        return []
    out: list[tuple[str, int]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        feature, k = item.get("feature"), item.get("sentence")
        if feature in FEATURES and isinstance(k, int) and 1 <= k <= n_sentences and (feature, k - 1) not in out:
            out.append((str(feature), k - 1))
    return out


class ModelPass:
    """Fills the design features the rules left empty, with the model, cached by document text.

    ``cache_path``: the JSON file of earlier answers (None: no cache).
    """

    def __init__(self, llm: Generates, cache_path: Path | None = None) -> None:
        self.llm = llm
        self.cache_path = cache_path
        self._lock = threading.Lock()
        self._cache: dict[str, list[list[Any]]] = self._load()
        self.asked = 0
        self.cached = 0

    def _load(self) -> dict[str, list[list[Any]]]:
        if self.cache_path is None or not self.cache_path.is_file():
            return {}
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            log.warning("model-pass cache %s unreadable (%s): starting a new one", self.cache_path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def save(self) -> None:
        """Write the cache (atomically); nothing to do without a cache path."""
        if self.cache_path is not None:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                text = json.dumps(self._cache, ensure_ascii=False, sort_keys=True)
            write_atomic(self.cache_path, text + "\n")

    def key(self, sentences: Sequence[str]) -> str:
        digest = hashlib.sha256("\n".join(sentences).encode("utf-8")).hexdigest()
        return f"{digest}:{PASS_VERSION}:{self.llm.model}:design"

    @staticmethod
    def needs(record: StudyRecord) -> bool:
        """Whether the rules left the record's design empty (reviews and laboratory studies have none to find)."""
        return (not record.design and record.is_primary and not record.is_animal
                and record.kind_value != "in vitro")

    def ask(self, sentences: Sequence[str]) -> list[tuple[str, int]]:
        """The model's (feature, sentence index) pairs for the sentences, from the cache when it has them."""
        key = self.key(sentences)
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None:
            self.cached += 1
            return [(str(f), int(k)) for f, k in hit]
        reply = self.llm.generate(design_messages(sentences), stream=False, max_tokens=80,
                                  grammar=design_grammar(len(sentences)))
        pairs = parse_design(str(reply), len(sentences))
        self.asked += 1
        with self._lock:
            self._cache[key] = [[f, k] for f, k in pairs]
        return pairs

    def fill(self, record: StudyRecord, chunks: Sequence[Chunk]) -> StudyRecord:
        """The record with the model's design features where the rules found none (else the record unchanged).
        A feature is kept only when its sentence holds the feature's words; that sentence is its source."""
        if not self.needs(record):
            return record
        spans = _numbered([c for c in chunks if c.doc_id in record.doc_ids] or chunks)
        if not spans:
            return record
        texts = [c.text[a:b] for c, a, b in spans]
        facts: list[Fact] = []
        for feature, k in self.ask(texts):
            chunk, start, end = spans[k]
            m = FEATURES[feature].search(texts[k])
            if m is None or any(f.value == feature for f in facts):
                continue
            facts.append(Fact(value=feature, source=Source(chunk_id=chunk.chunk_id, start=start, end=end,
                                                          quote=texts[k][m.start():m.end()])))
        return record.model_copy(update={"design": tuple(facts)}) if facts else record

    def fill_all(self, records: Sequence[tuple[StudyRecord, Sequence[Chunk]]],
                 progress: Callable[[], None] | None = None) -> list[StudyRecord]:
        """``fill`` for each (record, its chunks), saving the cache at the end when the model was asked anything.
        ``progress``: called after each record (for a progress bar)."""
        out = []
        try:
            for record, chunks in records:
                out.append(self.fill(record, chunks))
                if progress is not None:
                    progress()
        finally:
            if self.asked:
                self.save()
        return out
