"""Citation judges for scoring: the answer layer's judges behind the eval's judge interface.

The eval accepts any ``supports(sentence, passage_texts) -> bool`` callable. A judge may also have
``fit(passage_texts)``, called once per answer with all its passages before any verdict (the lexical
judge weighs terms by their rarity among an answer's passages), and a ``name`` shown in every report.
"""

from __future__ import annotations

from typing import Any

from assistant.errors import ConfigError
from assistant.settings import Settings

JUDGES = ("lexical", "llm")
PASSAGE_SEPARATOR = "\n\n"


class PassageJudge:
    """Adapts an answer-layer judge (``supports(claim, evidence_text)``) to the eval's interface."""

    def __init__(self, judge: Any) -> None:
        self.judge = judge
        self.name = str(getattr(judge, "name", type(judge).__name__))

    def fit(self, texts: list[str]) -> None:
        if hasattr(self.judge, "fit"):
            self.judge.fit(list(texts))

    def __call__(self, sentence: str, passages: list[str]) -> bool:
        return bool(self.judge.supports(sentence, PASSAGE_SEPARATOR.join(passages)))


def make_judge(name: str, settings: Settings) -> PassageJudge:
    """The judge called ``name``: 'lexical' (fast, deterministic) or 'llm' (small GGUF model, yes/no)."""
    from assistant.answer.judge import LexicalJudge, LLMJudge

    lexical = LexicalJudge(getattr(settings, "judge_min_overlap", 0.6))
    if name == "lexical":
        return PassageJudge(lexical)
    if name == "llm":
        from assistant.answer.llm import LlamaCppBackend, llama_cpp_available
        from assistant.answer.model_files import answer_model_path, judge_model_path

        if not llama_cpp_available():
            raise ConfigError("the llm judge needs llama-cpp-python (`make run` installs it); or use --judge lexical")
        path = judge_model_path(settings) or answer_model_path(settings)
        judge_settings = settings.model_copy(update={"llm_temperature": 0.0, "llm_context": 2048})
        # ALCE judges a sentence against up to 3 passages joined: give the judge room for all three
        return PassageJudge(LLMJudge(LlamaCppBackend(path, judge_settings), lexical, max_evidence_chars=4500))
    raise ConfigError(f"unknown judge {name!r}: use one of {', '.join(JUDGES)}")
