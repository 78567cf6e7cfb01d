"""What a named study does not state: the protocol fields (or the size) a question asks of it that neither its
record nor any of its passages holds ("What frequency and coil position did Toledo et al. 2021 use?" of an abstract
that gives only the session length; "How many rats per group?" of one that counts none). Without this the model,
shown the nearest protocol in the corpus, writes that one.

A field counts as stated when the record has a value for it or any passage of the paper has a word that could
state it (a number before "Hz", a target's name, "% of the motor threshold" ...): the check is loose on purpose,
so that a value the extraction rules did not read still lets the passages answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from assistant.answer.plan import Plan
from assistant.answer.study_answer import values
from assistant.index.contracts import Passage
from assistant.studies.contracts import StudyRecord
from assistant.studies.vocab import TARGETS

_I = re.IGNORECASE
_NUMBER_WORD = (r"\b(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-\w+)?|one|two|three|four|five|six|"
                r"seven|eight|nine|ten|eleven|twelve|\w+teen|hundred)")
_COULD_STATE: dict[str, tuple[re.Pattern[str], ...]] = {
    "stimulation.frequency": (re.compile(r"\d\s*-?\s*Hz\b|\b(?:high|low)[- ]frequency\b|\btheta[- ]?burst\b", _I),),
    "stimulation.intensity": (re.compile(r"\bmotor threshold\b|\b[RA]?MT\b|\bstimulator output\b|\bTesla\b|\d\s*T\b"
                                         r"|\b(?:stimulation|stimulus|pulse) intensity\b|\bintensity of (?:the )?stimul"
                                         r"|\d\s*%\s*(?:of\s+)?(?:the\s+)?(?:resting|active|maximal|motor|stimulator)",
                                         _I),),
    "stimulation.target": (*(p for _, p in TARGETS),
                           re.compile(r"\bcoil\b|\bover the (?:left |right )?\w+ cortex\b", _I)),
    "stimulation.side": (re.compile(r"\b(?:left|right|contralateral|ipsilateral|bilateral)\b", _I),),
    "stimulation.pulses": (re.compile(r"\bpulses?\b|\btrains?\b", _I),),
    "stimulation.sessions": (re.compile(r"\bsessions?\b|\bminutes?\b|\bmin\b|\btreatments?\b", _I),),
    "stimulation.schedule": (re.compile(r"\bdaily\b|\bdays?\b|\bweeks?\b|\bonce\b|\btwice\b|\bmonths?\b", _I),),
    "stimulation.start": (re.compile(r"\bday \d|\bafter (?:the )?(?:surgery|injury|operation|ligation|lesion)\b"
                                     r"|\bbeg[au]n\b|\bstarted\b|\bonset\b", _I),),
    # a count of subjects, in digits or words ("32 rats", "Thirty-two male Sprague-Dawley rats", "n = 8")
    "sizes": (re.compile(rf"(?:\b\d[\d,]*|{_NUMBER_WORD})\s+(?:[\w-]+\s+){{0,3}}(?:rats|mice|animals|patients|"
                         r"participants|subjects|people|adults|volunteers|respondents|cases)\b|\bn\s*=\s*\d", _I),),
}


def could_state(field: str, texts: Iterable[str]) -> bool:
    """Does any of ``texts`` have a word that could state ``field`` (an unknown field: assumed so)?"""
    patterns = _COULD_STATE.get(field)
    return patterns is None or any(p.search(t) for t in texts for p in patterns)


def unstated_fields(plan: Plan, records: Mapping[str, StudyRecord],
                    passages_of: Callable[[str], list[Passage]] | None) -> tuple[str, ...]:
    """The protocol fields (and size) ``plan`` asks of the one primary study it names that the study states nowhere:
    every field asked, or nothing (a question that also asks something the study does state is answered)."""
    if plan.scope != "named" or len(plan.studies) != 1 or passages_of is None or plan.whole_protocol:
        return ()
    only_size = plan.fields == ("sizes",)  # "how many rats per group in Kim 2013 (Iba1/GFAP)?": markers describe
    if plan.yes_no or any(f not in _COULD_STATE for f in plan.design_fields):
        return ()  # a design field other than the size: the record's answer or the passages say what they say
    record = records.get(plan.studies[0])
    asked = plan.protocol_fields + plan.design_fields
    if record is None or not asked or not (record.is_primary or only_size and counts_subjects(plan.question)):
        return ()
    asked = tuple(f for f in asked if not given(plan.question, record, f))
    if not asked or any(stated(record, f, plan.question) for f in asked):
        return ()  # the record states something asked: answered (its passages are not read)
    texts = [p.chunk.text for p in passages_of(record.paper_id)]
    return asked if texts and not any(could_state(f, texts) for f in asked) else ()


_SUBJECTS = re.compile(r"\bhow many (?:[\w-]+ ){0,2}?(?:patients|participants|subjects|people|adults|individuals|"
                       r"volunteers|rats|mice|animals)\b", _I)
"""A question that counts subjects ("how many patients in total were pooled?"), not studies."""


def counts_subjects(question: str) -> bool:
    return bool(_SUBJECTS.search(question))


def stated(record: StudyRecord, field: str, question: str) -> bool:
    """Does the record hold a value of ``field``? A count of subjects asked is not stated by a count of studies
    (a meta-analysis's "38 trials" does not say how many patients it pooled)."""
    found = values(record, field)
    if field == "sizes" and counts_subjects(question):
        return any(getattr(v, "role", None) != "studies" for v in found)
    return bool(found)


def given(question: str, record: StudyRecord, field: str) -> bool:
    """Does the question itself give the study's value of ``field`` ("the 5-minute sessions": its premise, not
    what it asks)? Read by the value's numbers."""
    numbers = set(re.findall(r"\d+(?:\.\d+)?", question))
    return any((found := re.findall(r"\d+(?:\.\d+)?", str(getattr(v, "value", "")))) and set(found) <= numbers
               for v in values(record, field))
