"""Citation judges for scoring: the answer layer's judges behind the eval's judge interface.

The eval accepts any ``supports(sentence, passage_texts) -> bool`` callable. A judge may also have
``fit(passage_texts)``, called once per answer with all its passages before any verdict (the lexical
judge weighs terms by their rarity among an answer's passages), and a ``name`` shown in every report.
"""

from __future__ import annotations

from typing import Any

from assistant.settings import Settings
from assistant.vocab import JudgeName

JUDGES = tuple(JudgeName)
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
    """The judge called ``name`` ('lexical' or 'llm'), strict: an LLM judge that cannot be made raises instead of
    silently scoring with the lexical one (see ``assistant.answer.judge.make_judge``)."""
    from assistant.answer.judge import make_judge as make_answer_judge

    # ALCE judges a sentence against up to 3 passages joined: give the judge room for all three
    return PassageJudge(make_answer_judge(name, settings, strict=True, max_evidence_chars=4500))
