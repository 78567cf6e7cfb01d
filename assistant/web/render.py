"""HTML for the chat: answers with clickable ``[n]`` markers, source cards, the sources panel, status line.

Everything here is pure (strings in, strings out) so it can be unit-tested without a browser. All text from
the corpus or the user is HTML-escaped. Chat bubbles are single-line HTML blocks: a blank line would end the
block and hand the rest to the Markdown renderer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from assistant.studies.table import row_sources, study_row
from assistant.vocab import AnswerFlag, Backend
from assistant.web.history import MARKER_RE

if TYPE_CHECKING:
    from assistant.answer.contracts import Answer, Citation, Evidence, EvidenceSentence, VerdictBasis
    from assistant.index.contracts import IndexStatus, Passage
    from assistant.studies.contracts import StudyRecord
    from assistant.web.session import Turn

KIND_LABELS = {
    "full-text": "Full text",
    "abstract": "Abstract",
    "evidence-note": "Evidence note",
    "pdf": "PDF",
    "text": "Text",
}


# Answer.flags worth telling the reader about, in plain words.
FLAG_NOTES: dict[str, str] = {
    AnswerFlag.LLM_UNAVAILABLE: "The selected model is not available yet, so this answer was extracted from the "
                                "passages without an LLM. The app uses the model once it is installed (`make run` "
                                "installs it), or pick another backend under Settings.",
    AnswerFlag.EXTRACTIVE_FALLBACK: "The sentences shown are taken from the passages directly, because the model "
                                    "declined or its own answer could not be checked against them.",
    AnswerFlag.UNKNOWN_QUESTION_TERMS: "Much of the question's wording appears nowhere in the corpus, so no passage "
                                       "sentence was offered in place of the model's unverifiable answer.",
    AnswerFlag.ASKED_AGAIN: "The model's first answer only repeated the question; it was asked once more.",
    AnswerFlag.BELOW_THRESHOLD: "No passage was close enough to the question to answer from.",
    AnswerFlag.BELOW_BM25_THRESHOLD: "No passage shares enough of the question's specific terms to answer from.",
    AnswerFlag.QUESTION_TERM_MISSING: "The question names something (a marker, receptor or value) that none of the "
                                      "retrieved passages mentions.",
    AnswerFlag.NOT_STATED_BY_STUDY: "The study the question names states none of what it asks (neither its record "
                                    "nor any of its passages), so no other study's protocol is offered instead.",
    AnswerFlag.CLOSED_BOOK: "Answered by the model alone, without passages: nothing here is checked against the "
                            "corpus.",
    AnswerFlag.NO_PASSAGES: "The search returned no passages.",
    AnswerFlag.SINGLE_UNVERIFIED_SOURCE: "Everything this answer says rests on one document that has no DOI, PMID or "
                                         "PMCID and is not an evidence note: check that document before relying on "
                                         "it (no yes/no verdict is given on its word alone).",
}


VERDICT_LABELS = {"yes": "Yes", "no": "No", "mixed": "Mixed evidence", "insufficient": "Insufficient evidence"}
VERDICT_TITLES = {
    "yes": "The cited passages support the statement asked about.",
    "no": "The cited passages contradict the statement asked about.",
    "mixed": "The cited studies disagree: some support the statement, others do not.",
    "insufficient": "The passages do not settle the question.",
}
EVIDENCE_LABEL = "Evidence (verified, from the passages)"
EVIDENCE_TITLE = "Sentences quoted word for word from the retrieved passages; [n] opens the passage."
SPAN_TITLES = {"hl-cited": "Sentence cited by the answer", "hl-evidence": "Evidence sentence chosen for the question"}


# --- small pieces --------------------------------------------------------------------------------
def cite_id(turn_no: int, n: int) -> str:
    """DOM id of the source card for marker ``[n]`` of answer ``turn_no`` (both 1-based)."""
    return f"src-{turn_no}-{n}"


def passage_id(turn_no: int, n: int) -> str:
    """DOM id of an uncited retrieved passage."""
    return f"psg-{turn_no}-{n}"


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("-", " ").capitalize() if kind else "Text")


def web_url(url: object) -> bool:
    """Whether ``url`` (from a note's front matter: untrusted) may be a link: http(s) with a host, nothing else
    (no ``javascript:``, ``data:``, ``vbscript:``, ``file:``; control characters and spaces refused too)."""
    if not isinstance(url, str) or len(url) > 2000 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def doi_url(doi: str | None) -> str | None:
    return f"https://doi.org/{doi}" if doi else None


def pubmed_url(pmid: str | None) -> str | None:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None


def pmc_url(pmcid: str | None) -> str | None:
    return f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/" if pmcid else None


def location(p: Passage) -> str:
    """'Results > Spinal cord, p. 4' — where in the document the passage sits."""
    parts = []
    if p.chunk.section:
        parts.append(p.chunk.section)
    if p.chunk.page is not None:
        parts.append(f"p. {p.chunk.page}")
    return ", ".join(parts)


def marker_numbers(group: str) -> list[int]:
    """Numbers inside one marker: '2' → [2]; '1, 3' → [1, 3]; '2-4' → [2, 3, 4]."""
    out: list[int] = []
    for part in group.replace(";", ",").split(","):
        part = part.strip().replace("–", "-")
        if "-" in part:
            a, _, b = part.partition("-")
            lo, hi = int(a), int(b)
            out += list(range(lo, hi + 1)) if 0 < hi - lo < 50 else [lo, hi]
        elif part:
            out.append(int(part))
    return out


def link_markers(text: str, targets: dict[int, str]) -> str:
    """Turn ``[n]`` markers in already-escaped ``text`` into links to the DOM ids in ``targets``.

    A marker with a number missing from ``targets`` stays plain text (never a link that points nowhere)."""

    def repl(m: re.Match[str]) -> str:
        nums = marker_numbers(m.group(1))
        if not nums or not all(n in targets for n in nums):
            return m.group(0)
        return "".join(f'<a class="cite" href="#{targets[n]}" title="Show source {n}">[{n}]</a>' for n in nums)

    return MARKER_RE.sub(repl, text)


def marker_targets(answer: Answer, turn_no: int) -> dict[int, str]:
    """Marker number → DOM id of its card: cited passages first, other numbered passages as fallback."""
    targets = {i: passage_id(turn_no, i) for i in range(1, len(answer.passages) + 1)}
    cited_chunks = {c.passage.chunk.chunk_id for c in answer.citations}
    for i, p in enumerate(answer.passages, start=1):
        if p.chunk.chunk_id in cited_chunks:
            targets.pop(i, None)
    targets.update({c.n: cite_id(turn_no, c.n) for c in answer.citations})
    return targets


def _text_html(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def merge_spans(spans: Iterable[Sequence[int]], length: int) -> list[tuple[int, int]]:
    """Valid character spans: clipped to ``0..length``, empty ones dropped, sorted, overlaps merged."""
    clean = sorted((max(0, int(a)), min(length, int(b))) for a, b, *_ in spans)
    merged: list[tuple[int, int]] = []
    for a, b in clean:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def highlighted_html(text: str, spans: Iterable[Sequence[int]], cls: str = "hl-cited") -> str:
    """``text`` escaped, with the character ``spans`` wrapped in ``<mark class=cls>`` (bad spans ignored)."""
    title = escape(SPAN_TITLES.get(cls, ""))
    pieces, pos = [], 0
    for a, b in merge_spans(spans, len(text)):
        pieces.append(_text_html(text[pos:a]))
        pieces.append(f'<mark class="{escape(cls)}" title="{title}">{_text_html(text[a:b])}</mark>')
        pos = b
    pieces.append(_text_html(text[pos:]))
    return "".join(pieces)


def verdict_badge_html(verdict: str | None) -> str:
    """'Yes' / 'No' / 'Mixed evidence' / 'Insufficient evidence' badge; '' for questions without a verdict."""
    if not verdict:
        return ""
    label = VERDICT_LABELS.get(verdict, verdict.capitalize())
    return (f'<span class="badge verdict verdict-{escape(verdict)}" title="{escape(VERDICT_TITLES.get(verdict, ""))}"'
            f">{escape(label)}</span>")


# --- evidence sentences --------------------------------------------------------------------------
def evidence_passage(s: EvidenceSentence, passages: Sequence[Passage]) -> Passage | None:
    """The passage an evidence sentence was taken from: number ``s.n`` if its chunk matches, else by chunk id."""
    if 1 <= s.n <= len(passages) and passages[s.n - 1].chunk.chunk_id == s.chunk_id:
        return passages[s.n - 1]
    return next((p for p in passages if p.chunk.chunk_id == s.chunk_id), None)


def group_evidence(sentences: Sequence[EvidenceSentence], passages: Sequence[Passage]
                   ) -> list[tuple[Passage | None, list[EvidenceSentence]]]:
    """Evidence sentences grouped by paper (in order of first appearance), each group with its first passage."""
    groups: dict[str, tuple[Passage | None, list[EvidenceSentence]]] = {}
    for s in sentences:
        p = evidence_passage(s, passages)
        key = p.doc.paper_id if p is not None else f"?{s.chunk_id}"
        groups.setdefault(key, (p, []))[1].append(s)
    return list(groups.values())


def evidence_spans(passage: Passage, sentences: Sequence[EvidenceSentence]) -> list[tuple[int, int]]:
    """Character spans of the evidence sentences taken from ``passage``: their offsets when the text there is the
    sentence, else where the sentence occurs in the passage (a sentence found nowhere is not marked)."""
    text, spans = passage.chunk.text, []
    for s in sentences:
        if s.chunk_id != passage.chunk.chunk_id:
            continue
        if text[s.start:s.end].strip() == s.text.strip():
            spans.append((s.start, s.end))
        elif s.text.strip() and (i := text.find(s.text.strip())) >= 0:
            spans.append((i, i + len(s.text.strip())))
    return spans


def _group_head(p: Passage | None, sentences: Sequence[EvidenceSentence], passages: Sequence[Passage]) -> str:
    if p is None:
        return "Unknown passage"
    places: list[str] = []
    for s in sentences:
        q = evidence_passage(s, passages)
        where = location(q) if q is not None else ""
        if where and where not in places:
            places.append(where)
    return " · ".join([p.doc.short_label(), *(["; ".join(places)] if places else [])])


def _evidence_line(s: EvidenceSentence, targets: dict[int, str]) -> str:
    mark = (f'<a class="cite" href="#{targets[s.n]}" title="Show passage {s.n}">[{s.n}]</a>' if s.n in targets
            else f"[{s.n}]")
    return (f'<div class="ev-sent" data-ev="{s.id}"><span class="ev-id">{s.id}.</span> '
            f'<span class="ev-text">{_text_html(s.text)}</span> {mark}</div>')


def evidence_block_html(sentences: Sequence[EvidenceSentence], passages: Sequence[Passage],
                        targets: dict[int, str]) -> str:
    """The numbered evidence sentences grouped by paper; ``[n]`` links to ``targets`` ('' without sentences).

    ``targets`` maps passage numbers to DOM ids; a number only links when its passage is the sentence's chunk."""
    if not sentences:
        return ""
    linked = {s.n: targets[s.n] for s in sentences if s.n in targets and 1 <= s.n <= len(passages)
              and passages[s.n - 1].chunk.chunk_id == s.chunk_id}
    groups = "".join(
        f'<div class="ev-paper"><div class="ev-head">{escape(_group_head(p, ss, passages))}</div>'
        + "".join(_evidence_line(s, linked) for s in ss) + "</div>"
        for p, ss in group_evidence(sentences, passages))
    return (f'<div class="evidence-block" title="{escape(EVIDENCE_TITLE)}">'
            f'<div class="evidence-label">{escape(EVIDENCE_LABEL)}</div>{groups}</div>')


def _cited_numbers(answer: Answer) -> dict[int, Citation]:
    return {c.n: c for c in answer.citations}


def _unsupported_spans(text: str, answer: Answer) -> list[tuple[int, int]]:
    """Character spans of the sentences the judge found unsupported (located in ``text``)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for s in answer.sentences:
        if s.supported is not False or not s.text.strip():
            continue
        i = text.find(s.text.strip(), pos)
        if i < 0:
            i = text.find(s.text.strip())
        if i >= 0:
            spans.append((i, i + len(s.text.strip())))
            pos = i + len(s.text.strip())
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a < merged[-1][1]:
            continue
        merged.append((a, b))
    return merged


# --- chat bubbles --------------------------------------------------------------------------------
def answer_body_html(answer: Answer, turn_no: int) -> str:
    """The answer text: escaped, unsupported sentences marked, ``[n]`` linked to the source cards."""
    text = answer.answer
    valid = marker_targets(answer, turn_no)
    pieces, pos = [], 0
    for a, b in _unsupported_spans(text, answer):
        pieces.append(link_markers(_text_html(text[pos:a]), valid))
        pieces.append('<span class="unsupported" title="The cited passage does not support this sentence">'
                      + link_markers(_text_html(text[a:b]), valid) + "</span>")
        pos = b
    pieces.append(link_markers(_text_html(text[pos:]), valid))
    return "".join(pieces)


def _cite_chips(answer: Answer, turn_no: int) -> str:
    chips = []
    for c in sorted(answer.citations, key=lambda c: c.n):
        flag = {True: "", False: " ✗", None: ""}[c.supported]
        study = c.passage.study
        what = study.badge if study is not None and study.badge else kind_label(c.passage.doc.kind)
        chips.append(f'<a class="cite chip" href="#{cite_id(turn_no, c.n)}">[{c.n}] '
                     f"{escape(c.passage.doc.short_label())} · {escape(what)}{flag}</a>")
    return " ".join(chips)


def _footer(answer: Answer, turn_no: int) -> str:
    bits = [escape(answer.backend or "")]
    if answer.model:
        bits.append(escape(answer.model))
    total = answer.timings.get("total_s")
    if total:
        bits.append(f"{total:.1f} s")
    if answer.query and answer.query.strip() != answer.question.strip():
        bits.append(f"searched: “{escape(answer.query)}”")
    return " · ".join(b for b in bits if b)


def final_evidence_html(answer: Answer, turn_no: int, evidence: Evidence | None = None) -> str:
    """Evidence block of a finished answer: its own evidence sentences, else those streamed before it."""
    targets = marker_targets(answer, turn_no)
    if answer.evidence:
        return evidence_block_html(answer.evidence, answer.passages, targets)
    if evidence is None or not evidence.sentences:
        return ""
    same = {n: t for n, t in targets.items() if n <= min(len(answer.passages), len(evidence.passages))
            and answer.passages[n - 1].chunk.chunk_id == evidence.passages[n - 1].chunk.chunk_id}
    return evidence_block_html(evidence.sentences, evidence.passages, same)


def _verdict_row(verdict: str | None, basis: VerdictBasis | None = None) -> str:
    badge = verdict_badge_html(verdict)
    if not badge:
        return ""
    read = (f'<details class="verdict-basis"><summary>read from the results of {escape(basis.label)}</summary>'
            f"<p>{escape(' '.join(basis.text.split()))}</p></details>") if basis else ""  # one line: see above
    return f'<div class="verdict-row">Verdict: {badge}{read}</div>'


def answer_html(answer: Answer, turn_no: int, evidence: Evidence | None = None) -> str:
    """Chat bubble for a finished answer (or a refusal): verdict, evidence block, checked answer, sources.

    ``evidence`` is what the stream yielded before the answer (used when the answer carries no evidence)."""
    notes = "".join(f'<div class="answer-flag">{escape(FLAG_NOTES[f])}</div>' for f in answer.flags
                    if f in FLAG_NOTES)
    if not answer.answerable:
        n = len(answer.passages)
        offer = (f" The {n} closest passage{'s' if n != 1 else ''} are listed under <b>Sources</b> for browsing."
                 if n else "")
        verdict = f" {verdict_badge_html(answer.verdict)}" if answer.verdict else ""
        return (f'<div class="rtms-answer refused"><span class="badge refused">No answer</span>{verdict} '
                f"{_text_html(answer.answer)}<span class=\"hint\">{offer}</span>{notes}"
                f'<div class="answer-meta">{_footer(answer, turn_no)}</div></div>')
    chips = _cite_chips(answer, turn_no)
    flags = notes
    if AnswerFlag.UNSUPPORTED_SENTENCES in answer.flags or any(s.supported is False for s in answer.sentences):
        flags += '<div class="answer-flag">Underlined sentences are not supported by the passage they cite.</div>'
    if not answer.citations:
        flags += '<div class="answer-flag">This answer cites no passage.</div>'
    ev = final_evidence_html(answer, turn_no, evidence)
    label = '<div class="synthesis-label">Answer, checked against the passages</div>' if ev else ""
    return (f'<div class="rtms-answer">{_verdict_row(answer.verdict, answer.verdict_basis)}{ev}{label}'
            f'<div class="answer-text">{answer_body_html(answer, turn_no)}</div>{flags}'
            + (f'<div class="cite-list">Sources: {chips}</div>' if chips else "")
            + f'<div class="answer-meta">{_footer(answer, turn_no)}</div></div>')


def _streaming_evidence(evidence: Evidence | None, turn_no: int) -> str:
    """Evidence block while the answer is pending; ``[n]`` link to the passage cards of the sources panel."""
    if evidence is None:
        return ""
    targets = {i: passage_id(turn_no, i) for i in range(1, len(evidence.passages) + 1)}
    return evidence_block_html(evidence.sentences, evidence.passages, targets)


def _waiting_note(evidence: Evidence | None) -> str:
    if evidence is None:
        return '<span class="thinking">Searching the corpus…</span>'
    if evidence.refused:
        why = FLAG_NOTES.get(evidence.refused, "The corpus does not answer this question.")
        return f'<span class="thinking">{escape(why)}</span>'
    return '<span class="thinking">Writing the answer from this evidence…</span>'


def partial_html(text: str, stopped: bool = False, *, evidence: Evidence | None = None, turn_no: int = 0) -> str:
    """Chat bubble while an answer streams in: the evidence block as soon as it arrived, then the model's text
    (markers stay plain until the answer is checked)."""
    ev = _streaming_evidence(evidence, turn_no)
    label = ('<div class="synthesis-label">Synthesis by the model (checked when complete)</div>'
             if ev and text.strip() else "")
    if stopped:
        body = f'<div class="synthesis">{_text_html(text)}</div>' if text.strip() else ""
        return (f'<div class="rtms-answer stopped">{ev}{label}{body}<div class="answer-flag">Stopped — '
                "this partial answer was not checked against its sources.</div></div>")
    if not text.strip():
        return f'<div class="rtms-answer streaming">{ev}{_waiting_note(evidence)}</div>'
    return (f'<div class="rtms-answer streaming">{ev}{label}<div class="synthesis">{_text_html(text)}'
            '<span class="cursor">▍</span></div></div>')


def error_html(message: str) -> str:
    """Chat bubble for an error: the message only, never a traceback."""
    return (f'<div class="rtms-answer error"><span class="badge error">Error</span> {_text_html(message)}</div>')


def reply_html(turn: Turn, turn_no: int) -> str:
    """The assistant's bubble of one turn: error, finished answer, or the answer streaming in."""
    if turn.error is not None:
        return error_html(turn.error)
    if turn.answer is not None:
        return answer_html(turn.answer, turn_no, evidence=turn.evidence)
    return partial_html(turn.partial, stopped=turn.stopped, evidence=turn.evidence, turn_no=turn_no)


def chat_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """The Chatbot value (Gradio 6 messages format) for a conversation."""
    out: list[dict[str, str]] = []
    for i, t in enumerate(turns, start=1):
        if t.question:  # an empty question gets only its error bubble
            out.append({"role": "user", "content": escape(t.question)})
        out.append({"role": "assistant", "content": reply_html(t, i)})
    return out


# --- source cards and the sources panel ----------------------------------------------------------
def _supported_badge(supported: bool | None) -> str:
    if supported is True:
        return '<span class="flag ok" title="The judge found the citing sentences supported">✓ supported</span>'
    if supported is False:
        return '<span class="flag bad" title="The judge found a citing sentence unsupported">✗ not supported</span>'
    return '<span class="flag unk" title="Not checked">unchecked</span>'


def _caveats_html(caveats: object) -> str:
    """An evidence note's caveats (remarks beside the evidence, not findings) as a small list."""
    if not isinstance(caveats, list) or not caveats:
        return ""
    items = "".join(f"<li>{escape(str(c))}</li>" for c in caveats if c)
    return f'<div class="caveats"><span class="caveats-head">Caveats</span><ul>{items}</ul></div>'


def source_card_html(p: Passage, n: int, dom_id: str, supported: bool | None = None, *, cited: bool = True,
                     open_: bool = False, highlights: Iterable[Sequence[int]] = (), hl_class: str = "hl-cited") -> str:
    """One source: bibliography, where the passage sits, links, kind badge, verdict and the passage text with
    the ``highlights`` (character spans of the chunk text) marked."""
    d = p.doc
    links = []
    article = d.extra.get("url") if not (d.doi or d.pmid or d.pmcid) else None
    for label, url in (("DOI", doi_url(d.doi)), ("PubMed", pubmed_url(d.pmid)), ("PMC", pmc_url(d.pmcid)),
                       ("Article", article if web_url(article) else None)):
        if url:
            links.append(f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{label}</a>')
    authors = ", ".join(d.authors[:6]) + (", et al." if len(d.authors) > 6 else "")
    journal = f"<i>{escape(d.journal)}</i>" if d.journal else ""
    where = location(p)
    meta = " · ".join(x for x in (escape(authors), journal, str(d.year or "n.d.")) if x)
    flag = _supported_badge(supported) if cited else '<span class="flag unk">not cited</span>'
    cls = "src-card" + ("" if cited else " uncited") + (" unsupported" if supported is False else "")
    return (f'<details class="{cls}" id="{dom_id}"{" open" if open_ else ""}>'
            f'<summary><span class="n">[{n}]</span> <span class="who">{escape(d.short_label())}</span> '
            f'<span class="badge kind kind-{escape(d.kind)}">{escape(kind_label(d.kind))}</span> '
            + study_badge_html(p) + f'{flag}'
            f'<div class="title">{escape(d.title or "(untitled)")}</div>'
            + (f'<div class="where">{escape(where)}</div>' if where else "") + "</summary>"
            f'<div class="meta">{meta}</div>'
            + (f'<div class="links">{" ".join(links)}</div>' if links else "")
            + _caveats_html(d.extra.get("caveats"))
            + f'<blockquote class="passage">{highlighted_html(p.chunk.text, highlights, hl_class)}</blockquote>'
            f'<div class="score">rank {p.rank} · score {p.score:.4f}'
            + (f" · cosine {p.dense_score:.3f}" if p.dense_score is not None else "")
            + (f" · BM25 {p.bm25_score:.2f}" if p.bm25_score is not None else "")
            + f" · chunk {escape(p.chunk.chunk_id)}</div></details>")


def study_badge_html(p: Passage) -> str:
    """The paper's evidence badge from its study record ('RCT · 149 patients', 'rat · CCI · n = 32')."""
    if p.study is None or not p.study.badge:
        return ""
    human = " human" if p.study.human else ""
    return f'<span class="badge study{human}" title="from the study record">{escape(p.study.badge)}</span> '


def _pending_sources(turn: Turn, turn_no: int, head: str) -> str:
    """Sources of a turn without a checked answer: the evidence passages (if they arrived), evidence marked."""
    note = "stopped before the answer was checked" if turn.stopped else "answering…"
    ev = turn.evidence
    cards = "" if ev is None else "".join(
        source_card_html(p, i, passage_id(turn_no, i), cited=False, highlights=evidence_spans(p, ev.sentences),
                         hl_class="hl-evidence") for i, p in enumerate(ev.passages, start=1))
    if cards:
        note += " The passages the evidence comes from:"
    return f'<section class="turn" id="turn-{turn_no}">{head}<div class="note">{note}</div>{cards}</section>'


def _evidence_of(turn: Turn) -> list[EvidenceSentence]:
    if turn.answer is not None and turn.answer.evidence:
        return list(turn.answer.evidence)
    return list(turn.evidence.sentences) if turn.evidence is not None else []


def turn_sources_html(turn: Turn, turn_no: int, latest: bool = False) -> str:
    """The sources of one turn: cited cards first (cited sentences marked), then the other retrieved passages
    (evidence sentences marked)."""
    head = f'<div class="turn-head">Q{turn_no}: {escape(turn.question)}</div>'
    a = turn.answer
    if a is None:
        return _pending_sources(turn, turn_no, head)
    cited = _cited_numbers(a)
    cards = [source_card_html(c.passage, n, cite_id(turn_no, n), c.supported, open_=False, highlights=c.highlights)
             for n, c in sorted(cited.items())]
    cited_chunks = {c.passage.chunk.chunk_id for c in cited.values()}
    others = [(i, p) for i, p in enumerate(a.passages, start=1) if p.chunk.chunk_id not in cited_chunks]
    evidence = _evidence_of(turn)
    other_cards = "".join(source_card_html(p, i, passage_id(turn_no, i), cited=False,
                                           highlights=evidence_spans(p, evidence), hl_class="hl-evidence")
                          for i, p in others)
    body = "".join(cards)
    if not a.answerable:
        body = ('<div class="note">No answer. The closest passages are below; none was strong enough to '
                "answer from.</div>" + other_cards)
    elif others:
        body += (f'<details class="more"><summary>Other retrieved passages ({len(others)})</summary>'
                 f"{other_cards}</details>")
    elif not cards:
        body = '<div class="note">No passages.</div>'
    return f'<section class="turn{" latest" if latest else ""}" id="turn-{turn_no}">{head}{body}</section>'


def sources_panel_html(turns: Sequence[Turn]) -> str:
    """All turns' sources, latest first (so markers of earlier answers still find their cards)."""
    shown = [(i, t) for i, t in enumerate(turns, start=1) if t.error is None]  # errors have no sources
    if not shown:
        return ('<div class="rtms-sources empty">Sources appear here. Click a marker such as [1] in an answer '
                "to open the passage behind it.</div>")
    sections = [turn_sources_html(t, i, latest=(i == len(turns))) for i, t in shown]
    return '<div class="rtms-sources">' + "".join(reversed(sections)) + "</div>"


# --- status line ---------------------------------------------------------------------------------
def model_label(backend: str, settings: Any) -> str:
    """What generates answers for ``backend``, for the status line."""
    if backend == Backend.EXTRACTIVE:
        return f"no LLM ({Backend.EXTRACTIVE})"
    if backend == Backend.OPENAI:
        return f"{settings.openai_model} at {settings.openai_base_url}"
    m = getattr(settings, "llm_model", None)
    return m.name if m else "default GGUF (Qwen2.5-Coder-1.5B-Instruct Q4_K_M)"


MODEL_PENDING = ("the model is not ready yet (point here for why), so answers are extracted from the passages "
                 "without an LLM; the app switches to the model by itself once it is installed (<code>make run</code> "
                 "builds it in the background)")


def status_html(status: IndexStatus | None, backend: str, model: str, error: str | None = None,
                llm_unavailable: str | None = None) -> str:
    """One line: backend, model (or why it is not used yet: ``llm_unavailable``), documents and chunks indexed,
    staleness."""
    parts = [f"Backend: <b>{escape(backend)}</b>", f"model: {escape(model)}"]
    if llm_unavailable:
        parts.append(f'<span class="warn" id="rtms-model-pending" title="{escape(llm_unavailable)}">'
                     f"{MODEL_PENDING}</span>")
    if error:
        parts.append(f'<span class="warn">index: {escape(error)}</span>')
    elif status is None or not status.exists:
        parts.append('<span class="warn">no index: run <code>rtms-assistant index build</code></span>')
    else:
        parts.append(f"{status.documents} documents, {status.chunks} chunks indexed")
        if status.stale:
            reasons = "; ".join(status.reasons[:2])
            parts.append(f'<span class="warn">index stale ({escape(reasons)}): run '
                         "<code>rtms-assistant index build</code></span>")
    return '<div class="rtms-status">' + " · ".join(parts) + "</div>"


_STUDY_COLUMNS = (("Study", "label"), ("Evidence", "badge"), ("Kind", "kind"), ("Species", "species"),
                  ("Condition", "condition"), ("n", "n"), ("Control", "control"), ("Blinding", "blinding"),
                  ("Target", "target"), ("Frequency", "frequency"), ("Sessions", "sessions"),
                  ("Findings", "findings"))


def studies_table_html(records: Sequence[StudyRecord], sentence: Callable[[str, int, int], str | None]) -> str:
    """The Studies tab: one row per paper; each cell links to the sentence(s) its values were read from, listed
    under the table (``sentence(chunk_id, start, end)`` gives a sentence's text)."""
    if not records:
        return '<p class="studies-empty">No study matches these filters.</p>'
    notes: dict[tuple[str, int, int], int] = {}
    rows = []
    for rec in records:
        row, sources = study_row(rec), row_sources(rec)
        cells = []
        for _, key in _STUDY_COLUMNS:
            value = row[key]
            text = escape("" if value is None else str(value))
            refs = [notes.setdefault(spot, len(notes) + 1) for spot in sources.get(key, [])[:3]]
            links = "".join(f'<a class="src-ref" href="#study-src-{n}">{n}</a>' for n in refs)
            cells.append(f"<td>{text}{'<sup>' + links + '</sup>' if text and links else ''}</td>")
        human = ' class="human"' if rec.is_human else ""
        rows.append(f'<tr{human} data-paper="{escape(rec.paper_id)}">{"".join(cells)}</tr>')
    head = "".join(f"<th>{name}</th>" for name, _ in _STUDY_COLUMNS)
    srcs = []
    for (chunk_id, start, end), n in notes.items():
        found = sentence(chunk_id, start, end)
        srcs.append(f'<li id="study-src-{n}" value="{n}">{escape(found or "(sentence not in the index)")} '
                    f'<span class="chunk">chunk {escape(chunk_id)}</span></li>')
    return (f'<div class="rtms-studies"><p class="studies-count">{len(records)} paper(s)</p>'
            f'<table class="studies"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<h4>Source sentences</h4><ol class="study-sources">{"".join(srcs)}</ol></div>')
