"""Conversation history and follow-up rewriting.

History is a list of ``{"role": "user" | "assistant", "content": str}`` messages (content may also arrive as a
list of content blocks, as Gradio sends it). Every question asked with history is resolved into a standalone
one (``resolve``): by the LLM when one is at hand, else, for a question that points back ("and in which
tissue?"), by merging the earlier questions' key words.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from assistant.answer.citations import is_refusal
from assistant.answer.plan import Focus, make_plan
from assistant.answer.prompts import resolve_messages
from assistant.answer.record_match import named_values
from assistant.answer.study_names import named_studies
from assistant.answer.terms import LEADING, STOPWORDS, term_set, terms
from assistant.errors import AssistantError, QuestionError
from assistant.studies.contracts import StudyRecord

log = logging.getLogger(__name__)

_FOLLOWUP_START = re.compile(r"^\s*(?:and|but|also|then|what about|how about|what else|same|which of (?:them|these)|"
                             r"in which|in what|at what|for how|how long|how many|how often)\b", re.I)
_ANAPHORA = re.compile(r"\b(?:it|its|they|them|their|this|that|these|those|there|such|same|the latter|the former|"
                       r"he|she|his|her)\b", re.I)
MAX_CONTEXT_WORDS = 8


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, list):
        return " ".join(_content_text(c) for c in content).strip()
    return "" if content is None else str(content)


def normalise_history(history: list[Any] | None) -> list[dict[str, Any]]:
    """Messages as ``{"role", "content": str}`` (assistant messages may keep ``paper_ids``: the papers their
    answer cited); other roles and empty messages are skipped."""
    if not history:
        return []
    if not isinstance(history, list):
        raise QuestionError("history must be a list of {'role': 'user'|'assistant', 'content': ...} messages.")
    out: list[dict[str, Any]] = []
    for i, msg in enumerate(history):
        if isinstance(msg, (list, tuple)) and len(msg) == 2:  # legacy (user, assistant) pairs
            out += [{"role": "user", "content": _content_text(msg[0])},
                    {"role": "assistant", "content": _content_text(msg[1])}]
            continue
        if not isinstance(msg, dict) or "role" not in msg:
            raise QuestionError(f"history item {i} is not a {{'role': ..., 'content': ...}} message.")
        role = str(msg["role"])
        text = _content_text(msg.get("content")).strip()
        if role in ("user", "assistant") and text:
            item: dict[str, Any] = {"role": role, "content": text}
            papers = msg.get("paper_ids")
            if role == "assistant" and isinstance(papers, list) and all(isinstance(p, str) for p in papers):
                item["paper_ids"] = list(papers)  # the papers that answer cited: candidates for "that study"
            out.append(item)
    return out


def is_follow_up(question: str, has_previous: bool) -> bool:
    """A short or context-dependent question asked after an earlier one."""
    if not has_previous:
        return False
    n_terms = len(term_set(question))
    if n_terms <= 2 or _FOLLOWUP_START.search(question):
        return True
    return bool(_ANAPHORA.search(question)) and n_terms <= 6


def _key_words(text: str) -> list[str]:
    """Surface words of ``text`` that carry a key term (kept as written, for both BM25 and the embedder)."""
    text = re.sub(r"\([^)]*\)", lambda m: " " + m.group(0)[1:-1] + " ", text)
    words: list[str] = []
    seen: set[str] = set()
    for w in re.findall(r"[\w][\w\-\u03b1-\u03c9\u0391-\u03a9./]*[\w\u03b1-\u03c9]|\w", text):
        ts = [t for t in terms(w) if t not in STOPWORDS]
        if ts and ts[0] not in seen:
            seen.add(ts[0])
            words.append(w)
    return words


def heuristic_rewrite(question: str, previous: str) -> str:
    """``"and in which tissue?"`` + ``"Which cytokines does rTMS reduce?"`` →
    ``"In which tissue? (cytokines rTMS reduce)"``."""
    follow = LEADING.sub("", question).strip() or question.strip()
    follow = follow[0].upper() + follow[1:]
    have = term_set(follow)
    extra = [w for w in _key_words(previous) if not (term_set(w) & have)][:MAX_CONTEXT_WORDS]
    return f"{follow} ({' '.join(extra)})" if extra else follow


def _standalone_chain(user_questions: list[str]) -> str:
    """The last earlier question, itself resolved against the ones before it."""
    resolved = ""
    for q in user_questions:
        resolved = heuristic_rewrite(q, resolved) if resolved and is_follow_up(q, True) else q
    return resolved


def mentions_context(question: str) -> bool:
    """Words that point back into the conversation (it, that study, the same experiment, and …)."""
    return bool(_FOLLOWUP_START.search(question) or _ANAPHORA.search(question))


def _clean_resolution(out: str, question: str) -> str | None:
    """The model's standalone question, if it kept what the user asked (at least half the question's terms)."""
    line = out.strip().splitlines()[0].strip() if out.strip() else ""
    line = re.sub(r"^(?:rewritten question|standalone question|question)\s*:\s*", "", line, flags=re.I)
    line = line.strip().strip('"').strip()
    if not 5 <= len(line) <= 400 or is_refusal(line):
        return None
    asked = term_set(question)
    if asked and len(asked & term_set(line)) < len(asked) / 2:
        return None
    return line


def resolve(question: str, history: list[dict[str, Any]], llm: Any = None) -> str:
    """``question`` made standalone against the conversation: every question asked with history is resolved.

    With an LLM at hand it rewrites the question given the last turns (answers included: "both of them" may
    name what the previous answer listed); without one, or when its rewrite drops what the user asked, a
    question that points back ("that study", "and in which tissue?") gets the earlier key words merged in.
    """
    users = [m["content"] for m in history if m["role"] == "user"]
    if not users:
        return question
    if llm is not None:
        try:
            out = llm.generate(resolve_messages(question, history), stream=False, max_tokens=80)
            cleaned = _clean_resolution(str(out), question)
            if cleaned:
                return cleaned
            log.info("LLM resolution unusable (%r); using the heuristic", out)
        except AssistantError as exc:
            log.warning("LLM resolution failed (%s); using the heuristic", exc)
    if is_follow_up(question, True) or mentions_context(question):
        return heuristic_rewrite(question, _standalone_chain(users))
    return question


def previous_answer(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The last assistant message, if the conversation has one."""
    return next((m for m in reversed(history) if m["role"] == "assistant"), None)


def focus_of(history: list[dict[str, Any]], records: Mapping[str, StudyRecord]) -> Focus:
    """The studies, markers and tissues the conversation is about, latest message first: the papers an answer
    cited (``paper_ids``) or a study a message names, else those an earlier question's own plan matched (at most
    three). "It", "they", "that trial" resolve to these first."""
    if not history or not records:
        return Focus()
    papers: tuple[str, ...] = ()
    for msg in reversed(history):  # the papers an answer cited, or a study a message names
        papers = tuple(p for p in msg.get("paper_ids") or () if p in records) or named_studies(msg["content"], records)
        if papers:
            break
    for msg in reversed(history if not papers else []):  # else what a question's own plan matched
        plan = make_plan(msg["content"], None, records) if msg["role"] == "user" else None
        if plan is not None and plan.studies and (plan.scope != "matched" or len(plan.studies) <= 3):
            papers = plan.studies
            break
    recent = " ".join(m["content"] for m in history[-2:])
    asked, order = term_set(recent), terms(recent)
    mine = [records[p] for p in papers] or list(records.values())
    markers = named_values((f.marker for r in mine for f in r.findings), asked, order)
    tissues = named_values((f.tissue for r in mine for f in r.findings if f.tissue), asked, order)
    return Focus(papers=papers, markers=markers, tissues=tissues)
