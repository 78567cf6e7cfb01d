"""The stages that answer from the plan and the study records. Each takes typed inputs and returns a frozen result;
none writes into what an earlier stage made.

plan (``make_plan``) → ``record_sources`` (the passages holding the record values the draft states) →
``record_answer`` (the draft's lines cited to those passages and checked like any answer) → ``record_check``
(any answer's claims against the cited studies' records).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from assistant.answer.check import CheckResult, check_answer
from assistant.answer.citations import add_markers, split_sentences, strip_markers
from assistant.answer.contracts import Answer, Verdict
from assistant.answer.judge import Judge
from assistant.answer.plan import Plan, populations_in
from assistant.answer.stages import PaperPassages, Retriever
from assistant.answer.study_answer import RecordDraft, contradictions
from assistant.answer.terms import FIELD_CUES, TOPIC_TERMS, term_set
from assistant.answer.verdict import is_yes_no
from assistant.errors import AssistantError
from assistant.index.contracts import Passage
from assistant.studies.contracts import StudyRecord
from assistant.vocab import AnswerFlag


@dataclass(frozen=True)
class RecordAnswer:
    """The records' answer, checked: its text with markers, the check's result, the verdict and its reason."""

    text: str
    result: CheckResult
    verdict: Verdict | None = None
    reason: str = ""


def record_sources(draft: RecordDraft, have: list[Passage], paper_passages: PaperPassages | None
                   ) -> tuple[Passage, ...]:
    """The passages of the chunks the draft cites that are not among ``have`` (read from their papers), numbered
    after them. ``paper_passages(paper_id)`` gives every passage of one paper."""
    held = {p.chunk.chunk_id for p in have}
    wanted = [c for c in draft.chunks if c not in held]
    if not wanted or paper_passages is None:
        return ()
    found: dict[str, Passage] = {}
    for paper in dict.fromkeys(line.paper_id for line in draft.lines):
        with contextlib.suppress(AssistantError):
            for p in paper_passages(paper) or []:
                if p.chunk.chunk_id in wanted:
                    found[p.chunk.chunk_id] = p
    start = len(have)
    return tuple(found[c].model_copy(update={"rank": start + i}) for i, c in enumerate(
        [c for c in wanted if c in found], 1))


def render(draft: RecordDraft, passages: list[Passage]) -> str:
    """The draft's lines, each with the markers of the passages its facts were read from (lines whose sources are
    not shown are left out). A line with source sentences states them, the study's label before the first: the
    sentence carries the value and what the question asks around it ("Forty-eight patients … took part: 24 with
    trigeminal neuralgia and 24 with post-stroke pain")."""
    number = {p.chunk.chunk_id: n for n, p in enumerate(passages, 1)}
    texts = {p.chunk.chunk_id: p.chunk.text for p in passages}
    out: list[str] = []
    stated: set[str] = set()
    for line in draft.lines:
        marks = [number[c] for c in line.chunks if c in number]
        said = [(number[c], texts[c][a:b].strip()) for c, a, b in line.spans if c in texts and texts[c][a:b].strip()]
        said = [(n, sentence) for n, sentence in said if sentence not in stated]
        stated.update(sentence for _, sentence in said)
        if said:
            out += [add_markers(f"{line.label}: {sent}" if i == 0 else sent, [n]) for i, (n, sent) in enumerate(said)]
        elif marks and not line.spans:
            out.append(add_markers(line.text, marks))
    return " ".join(out)


def record_answer(draft: RecordDraft, passages: list[Passage], support: list[str], judge: Judge
                  ) -> RecordAnswer | None:
    """The draft cited and checked; a line the check does not verify is dropped. None when no line verified and
    the draft carries no verdict (the engine then answers from the passages as before). A line may repeat the
    question's words ("rats" to "patients or rats?"): the check's restatement rule is not applied to it."""
    raw = render(draft, passages)
    result = check_answer(raw, passages, support, judge, unsupported="drop", repair=False, prune=False,
                          question=None) if raw else CheckResult(text="")
    if not result.supported_count and draft.verdict is None:
        return None
    result = replace(result, flags=[*result.flags, AnswerFlag.FROM_RECORDS])
    return RecordAnswer(text=result.text, result=result, verdict=draft.verdict, reason=draft.reason)


def record_check(result: CheckResult, passages: list[Passage], records: Mapping[str, StudyRecord],
                 drop: bool) -> CheckResult:
    """Any answer's supported sentences against the records of the studies they cite: a sentence that puts a
    cited study's marker in a tissue it was not measured in, or moves it the other way, is flagged (or dropped)."""
    if not records or not result.text:
        return result
    bad: set[str] = set()
    for s in result.sentences:
        cited = {passages[n - 1].chunk.paper_id for n in s.supported_markers if 0 < n <= len(passages)}
        studies = [records[p] for p in cited if p in records and records[p].is_primary]
        if s.supported and studies and contradictions(s.text, studies):
            bad.add(s.text)
    if not bad:
        return result
    sentences = [s.model_copy(update={"supported": False}) if s.text in bad else s for s in result.sentences]
    kept = [t for t in split_sentences(result.text) if strip_markers(t).strip() not in bad or not drop]
    text = " ".join(t if strip_markers(t).strip() not in bad else f"{t.rstrip('.')} [contradicts the record]."
                    for t in kept)
    return replace(result, text=text, sentences=sentences,
                   flags=[*result.flags, AnswerFlag.RECORD_CONTRADICTION])


def asks_yes_no(yes_no: bool, plan: Plan) -> bool:
    """A verdict only for a question that asks one thing yes or no: "were these patients or rats, and how many per
    group?" opens like a yes/no question but asks for two facts."""
    return yes_no and (plan.yes_no or not is_yes_no(plan.question))


def with_reason(answer: Answer, found: RecordAnswer | None, yes_no: bool) -> Answer:
    """The answer with the aggregated verdict's reason in front ("Insufficient: no study here measured TNF-α in the
    spinal cord; …"), a new Answer."""
    if found is None or not yes_no or not found.reason:
        return answer
    if found.verdict == "no" and answer.answerable:  # "No." is already in front: the reason follows it
        body = answer.answer[3:].lstrip() if answer.answer.startswith("No.") else answer.answer
        return answer.model_copy(update={"answer": f"No. {found.reason} {body}", "verdict_reason": found.reason})
    word = (found.verdict or "insufficient").capitalize()
    text = f"{word}: {found.reason}" if not answer.answerable else f"{word}: {found.reason} {answer.answer}"
    return answer.model_copy(update={"answer": text, "verdict_reason": found.reason})


def answers_all(plan: Plan, found: RecordAnswer | None) -> bool:
    """Do the records' lines answer everything the question asks? A verdict does; otherwise every term of the
    question must be a field cue, a population word, or said in the lines, which name their studies ("how was the
    contusion made?" is answered when the sex's source sentence says "contusion … made with the impactor")."""
    if found is None:
        return False
    if found.verdict is not None:
        return True
    covered = term_set(found.text) | set().union(*FIELD_CUES.values()) | TOPIC_TERMS
    covered |= term_set(" ".join(w for _, w in populations_in(plan.question)))
    return not term_set(plan.question) - covered


def joined(found: RecordAnswer, result: CheckResult, passages: list[Passage], support: list[str], judge: Judge,
           unsupported: str) -> CheckResult:
    """The records' lines, then the written answer's sentences (a repeated one dropped), checked as one answer."""
    if not result.text.strip() or result.refusal:
        return found.result
    stated = strip_markers(found.text)  # the records' lines state source sentences after a study's label
    rest = [t for t in split_sentences(result.text) if strip_markers(t).strip() not in stated]
    if not rest:
        return found.result
    raw = f"{found.text} {' '.join(rest)}"
    merged = check_answer(raw, passages, support, judge, unsupported=unsupported, repair=False, prune=False)
    return replace(merged, flags=list(dict.fromkeys([*result.flags, *merged.flags, AnswerFlag.FROM_RECORDS])))


def focus_passages(plan: Plan, query: str, search: Retriever, k: int) -> list[Passage]:
    """A follow-up the gates would refuse, searched within the studies in the conversation's focus: "what happened
    in the weekly phase?" after a question on one trial is about that trial, whatever its words score corpus-wide.
    The extractive backend's coverage check and the answer check still decide whether it is answered."""
    with contextlib.suppress(AssistantError):
        return [p.model_copy(update={"rank": i}) for i, p in enumerate(search(query, k, papers=list(plan.studies)), 1)]
    return []
