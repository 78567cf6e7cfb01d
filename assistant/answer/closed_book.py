"""Closed book (retrieval mode 'none'): the LLM answers from its own knowledge, without passages.

A baseline for evaluation and a way to see what the model would say unaided; such answers carry no citations
and the flag 'closed-book'. The extractive backend has nothing to extract from without passages: it refuses.
"""

from __future__ import annotations

import time
from typing import Any

from assistant.answer.contracts import REFUSAL, Answer
from assistant.settings import Settings
from assistant.vocab import AnswerFlag, RetrievalMode

CLOSED_BOOK_SYSTEM = (
    "You are a research assistant for the literature on repetitive transcranial magnetic stimulation (rTMS), "
    "neuropathic pain and neuroinflammation. Answer the question from your own knowledge in one to three "
    f"short sentences. If you do not know the answer, reply exactly: {REFUSAL}"
)


def _messages(question: str, history: list[dict[str, str]]) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": CLOSED_BOOK_SYSTEM}]
    msgs += [{"role": t["role"], "content": t["content"]} for t in history]
    msgs.append({"role": "user", "content": question})
    return msgs


def closed_book(settings: Settings, question: str, history: list[dict[str, str]], backend: str,
                llm: Any = None) -> Answer:
    """An Answer with no passages and no citations; refused when the model says it does not know."""
    t0 = time.perf_counter()
    from assistant.answer.backends import backend_spec, make_llm

    if not backend_spec(backend).uses_llm:
        from assistant.answer.verdict import is_yes_no

        return Answer(question=question, query=question, answer=REFUSAL, answerable=False, backend=backend,
                      verdict="insufficient" if is_yes_no(question) else None,
                      flags=[AnswerFlag.CLOSED_BOOK], settings_hash=settings.settings_hash(),
                      retrieval=RetrievalMode.NONE,
                      timings={"retrieve_s": 0.0, "first_token_s": 0.0, "total_s": time.perf_counter() - t0})
    if llm is None:
        llm = make_llm(backend, settings)
    from assistant.answer import verdict
    from assistant.answer.citations import is_refusal
    from assistant.answer.grammar import verdict_grammar

    yes_no = verdict.is_yes_no(question)
    kwargs = {"grammar": verdict_grammar()} if yes_no and getattr(llm, "supports_grammar", False) else {}
    text = str(llm.generate(_messages(question, history), stream=False, **kwargs)).strip()
    refused = not text or is_refusal(text)
    said = verdict.said(text) if yes_no and not refused else None
    total = time.perf_counter() - t0
    return Answer(question=question, query=question, answer=REFUSAL if refused else text, answerable=not refused,
                  verdict=(said or "insufficient") if yes_no else None,
                  backend=backend, model=str(getattr(llm, "model", "")), flags=[AnswerFlag.CLOSED_BOOK],
                  settings_hash=settings.settings_hash(), retrieval=RetrievalMode.NONE,
                  timings={"retrieve_s": 0.0, "first_token_s": total, "total_s": total})
