"""Rendering of answers, source cards, the sources panel and the status line."""

from __future__ import annotations

import re

import pytest
from webfakes import (
    YES_SENTENCE_1,
    YES_SENTENCE_2,
    answer,
    evidence_of,
    evidence_sentences,
    passage,
    refusal,
    yes_no_answer,
)

from assistant.answer.contracts import Evidence, EvidenceSentence, SentenceCheck
from assistant.index.contracts import IndexStatus
from assistant.settings import Settings
from assistant.web import render
from assistant.web.session import Turn


def test_markers_become_links_to_their_cards_and_unknown_numbers_stay_text():
    html = render.answer_html(answer(text="Iba1 fell [1]. GFAP fell [2]. Odd [9]."), turn_no=3)
    assert '<a class="cite" href="#src-3-1"' in html
    assert '<a class="cite" href="#src-3-2"' in html
    assert "Odd [9]." in html and 'href="#src-3-9"' not in html


def test_grouped_and_range_markers_expand_into_one_link_each():
    a = answer(text="Both fell [1, 2]. All three [1-3].", supported={1: True, 2: True, 3: None})
    html = render.answer_body_html(a, 1)
    assert html.count('href="#src-1-1"') == 2 and html.count('href="#src-1-2"') == 2
    assert html.count('href="#src-1-3"') == 1
    assert "[1, 2]" not in html


def test_uncited_passage_marker_links_to_the_passage_card():
    a = answer(text="Iba1 fell [1]; see also [3].", supported={1: True})
    assert 'href="#psg-1-3"' in render.answer_body_html(a, 1)


def test_answer_text_is_escaped():
    html = render.answer_html(answer(text="p <0.05 & <script>x</script> [1]"), 1)
    assert "<script>" not in html and "&lt;script&gt;" in html and "p &lt;0.05 &amp;" in html


def test_unsupported_sentences_are_marked():
    a = answer(text="Iba1 fell [1]. Glia sang songs [2].", supported={1: True, 2: False},
               sentences=[SentenceCheck(text="Iba1 fell [1].", markers=[1], supported=True),
                          SentenceCheck(text="Glia sang songs [2].", markers=[2], supported=False)])
    html = render.answer_html(a, 1)
    span = re.search(r'<span class="unsupported"[^>]*>(.*?)</span>', html)
    assert span and "Glia sang songs" in span.group(1) and "Iba1" not in span.group(1)
    assert "not supported" in html


def test_answer_bubble_is_one_html_block_without_blank_lines():
    html = render.answer_html(answer(text="Line one [1].\n\nLine two [2]."), 1)
    assert "\n" not in html and "<br><br>" in html


def test_refusal_is_shown_as_such_and_offers_passages():
    html = render.answer_html(refusal(), 2)
    assert "No answer" in html and "2 closest passages" in html
    panel = render.turn_sources_html(Turn(question="q", answer=refusal()), 2)
    assert panel.count('class="src-card uncited"') == 2 and 'id="psg-2-1"' in panel


def test_flags_are_explained_in_plain_words():
    a = answer()
    a.flags = ["llm-unavailable", "some-internal-flag"]
    html = render.answer_html(a, 1)
    assert "extracted from the passages without an LLM" in html and "some-internal-flag" not in html
    a.flags = ["from-records", "asked-again"]
    html = render.answer_html(a, 1)
    assert "asked once more" in html
    r = refusal()
    r.flags = ["below-threshold"]
    assert "close enough" in render.answer_html(r, 1)
    r.flags = ["below-bm25-threshold"]
    assert "specific terms" in render.answer_html(r, 1)
    a.flags = ["llm-refused", "extractive-fallback"]
    assert "the model declined" in render.answer_html(a, 1)


def test_source_card_shows_bibliography_links_kind_flag_and_passage():
    p = passage(1, text="Invented passage <b>bold</b> text.", pmid="12345678", doi="10.9999/x.1",
                section="Results > Brain", page=7, authors=[f"Author{i} A" for i in range(8)])
    p.doc.pmcid = "PMC123"
    html = render.source_card_html(p, 1, "src-1-1", supported=False)
    assert 'id="src-1-1"' in html
    assert 'href="https://doi.org/10.9999/x.1"' in html
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/12345678/"' in html
    assert 'href="https://pmc.ncbi.nlm.nih.gov/articles/PMC123/"' in html
    assert "Full text" in html and "not supported" in html
    assert "Results &gt; Brain, p. 7" in html and "2021" in html and "J Invented Neurosci" in html
    assert "Author0 A" in html and "et al." in html and "Author7 A" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_kind_badges_and_verdicts():
    assert render.kind_label("evidence-note") == "Evidence note"
    assert render.kind_label("pdf") == "PDF"
    assert render.kind_label("abstract") == "Abstract"
    assert "✓ supported" in render.source_card_html(passage(), 1, "a", supported=True)
    assert "unchecked" in render.source_card_html(passage(), 1, "a", supported=None)


def test_sources_panel_lists_latest_turn_first_with_cited_then_other_passages():
    t1 = Turn(question="first?", answer=answer("first?", text="A [1].", supported={1: True}))
    t2 = Turn(question="second?", answer=answer("second?", text="B [2].", supported={2: True}))
    html = render.sources_panel_html([t1, t2])
    assert html.index('id="turn-2"') < html.index('id="turn-1"')
    assert 'id="src-1-1"' in html and 'id="src-2-2"' in html
    assert "Other retrieved passages (2)" in html


def test_chat_messages_cover_error_partial_and_answer_turns():
    turns = [Turn(question="a <b>?", answer=answer()), Turn(question="b", error="Index missing: build it."),
             Turn(question="c", partial="Half an ans", stopped=True), Turn(question="d", partial="stream")]
    msgs = render.chat_messages(turns)
    assert [m["role"] for m in msgs] == ["user", "assistant"] * 4
    panel = render.sources_panel_html(turns)
    assert 'id="turn-1"' in panel and 'id="turn-2"' not in panel and 'id="turn-3"' in panel  # errors: no sources
    assert [m["role"] for m in render.chat_messages([Turn(question="", error="Type a question first.")])] == [
        "assistant"]
    assert msgs[0]["content"] == "a &lt;b&gt;?"
    assert "Index missing: build it." in msgs[3]["content"] and "Error" in msgs[3]["content"]
    assert "Stopped" in msgs[5]["content"] and "Half an ans" in msgs[5]["content"]
    assert "streaming" in msgs[7]["content"]


def test_status_line_reports_backend_model_and_counts():
    s = Settings(backend="openai", openai_model="m1", openai_base_url="http://h:1/v1")
    html = render.status_html(IndexStatus(exists=True, documents=3, chunks=40, stale=False, index_dir="i"),
                              "openai", render.model_label("openai", s))
    assert "openai" in html and "m1 at http://h:1/v1" in html and "3 documents, 40 chunks" in html
    missing = IndexStatus(exists=False, stale=True, index_dir="i")
    assert "rtms-assistant index build" in render.status_html(missing, "extractive", "x")
    stale = render.status_html(IndexStatus(exists=True, stale=True, reasons=["1 new file(s)"], index_dir="i"),
                               "extractive", "x")
    assert "stale" in stale and "1 new file(s)" in stale


# --- evidence, verdicts, highlights --------------------------------------------------------------
@pytest.mark.parametrize(("verdict", "label"), [("yes", "Yes"), ("no", "No"), ("mixed", "Mixed evidence"),
                                                ("insufficient", "Insufficient evidence")])
def test_verdict_badge_labels(verdict, label):
    html = render.verdict_badge_html(verdict)
    assert f'class="badge verdict verdict-{verdict}"' in html and f">{label}</span>" in html


def test_no_verdict_no_badge():
    assert render.verdict_badge_html(None) == ""
    assert "verdict" not in render.answer_html(answer(), 1)


def test_a_verdict_shows_the_results_it_was_read_from_on_one_line():
    from assistant.answer.contracts import VerdictBasis

    a = yes_no_answer()
    assert "read from" not in render.answer_html(a, 1)
    a.verdict_basis = VerdictBasis(paper_id="doi:10.9999/invented.0002", label="Smith 2019",
                                   text="Iba1 fell <by 30%>.\n\n- GFAP fell too.")
    html = render.answer_html(a, 1)
    assert "read from the results of Smith 2019" in html and "Iba1 fell &lt;by 30%&gt;. - GFAP fell too." in html
    assert "\n" not in html.split('class="verdict-row"')[1].split("</details>")[0]  # a bubble is one line
    assert a.to_dict()["verdict_basis"]["label"] == "Smith 2019"
    assert "*read from the results of Smith 2019*" in a._repr_markdown_()


def test_highlight_wraps_exact_offsets_and_escapes_inside_and_outside():
    text = "A <b> one. Two & three.\nFour."
    i = text.index("Two")
    html = render.highlighted_html(text, [(i, i + len("Two & three."))])
    assert html == ('A &lt;b&gt; one. <mark class="hl-cited" title="Sentence cited by the answer">Two &amp; '
                    "three.</mark><br>Four.")


def test_highlight_merges_overlaps_clips_and_drops_bad_spans():
    assert render.merge_spans([(5, 9), (0, 3), (2, 4), (8, 12), (7, 7), (20, 99), (-4, 1)], 22) == [
        (0, 4), (5, 12), (20, 22)]
    html = render.highlighted_html("abcdef", [(4, 2), (10, 12)])
    assert "<mark" not in html and html == "abcdef"
    assert render.highlighted_html("abc", [(0, 1), (1, 3)]).count("<mark") == 1


def test_evidence_block_groups_by_paper_numbers_sentences_and_links_markers():
    ps = [passage(1, text="First fact here. Second fact there."), passage(2, text="Other paper fact.",
                                                                        doi="10.9999/b", authors=["Smith A"],
                                                                        year=2019, section="Results", page=None),
          passage(3, text="Same paper as 1, later. More.", section="Discussion", page=None)]
    ev = evidence_sentences(ps, [(1, "Second fact there."), (2, "Other paper fact."), (3, "More.")])
    html = render.evidence_block_html(ev, ps, {1: "src-4-1", 2: "psg-4-2", 3: "src-4-3"})
    assert render.EVIDENCE_LABEL in html and html.startswith('<div class="evidence-block"')
    assert html.count('class="ev-paper"') == 2  # passages 1 and 3 share their paper
    heads = re.findall(r'<div class="ev-head">(.*?)</div>', html)
    assert heads == ["Doe et al. 2021 · Results &gt; Spinal cord, p. 4; Discussion", "Smith 2019 · Results"]
    assert html.index("Second fact there.") < html.index("More.") < html.index("Other paper fact.")
    assert '<span class="ev-id">1.</span> <span class="ev-text">Second fact there.</span> <a class="cite" ' \
           'href="#src-4-1"' in html
    assert 'href="#psg-4-2"' in html and "\n" not in html


def test_evidence_block_links_only_markers_whose_passage_matches():
    ps = [passage(1), passage(2, doi="10.9999/b")]
    wrong = EvidenceSentence(id=1, n=2, chunk_id=ps[0].chunk.chunk_id, text="Invented passage", start=0, end=16)
    html = render.evidence_block_html([wrong], ps, {1: "src-1-1", 2: "src-1-2"})
    assert "href=" not in html and "[2]" in html and "Doe et al. 2021" in html
    assert render.evidence_block_html([], ps, {}) == ""


def test_evidence_text_is_escaped():
    a = yes_no_answer(extra=' <img src=x onerror="alert(1)">')
    html = render.answer_html(a, 1)
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    card = render.turn_sources_html(Turn(question="<script>q</script>", answer=a), 1)
    assert "<img" not in card and "<script>" not in card and "&lt;img src=x" in card


def test_final_answer_shows_verdict_then_evidence_then_checked_text():
    html = render.answer_html(yes_no_answer(), 2)
    assert html.index('class="badge verdict verdict-yes"') < html.index('class="evidence-block"') \
        < html.index('class="answer-text"')
    assert "Verdict: " in html and YES_SENTENCE_1 in html
    assert 'href="#src-2-1"' in html.split('class="answer-text"')[0]  # evidence markers link to the cards


def test_refusal_with_verdict_shows_both_badges_and_no_evidence():
    r = refusal()
    r.verdict = "insufficient"
    html = render.answer_html(r, 1)
    assert "No answer" in html and "Insufficient evidence" in html and "evidence-block" not in html


def test_final_answer_without_own_evidence_keeps_the_streamed_one():
    a = yes_no_answer()
    ev = evidence_of(a)
    a.evidence = []
    html = render.answer_html(a, 1, evidence=ev)
    assert "evidence-block" in html and YES_SENTENCE_2 in html and 'href="#src-1-2"' in html
    other = answer(passages=[passage(7, doi="10.9999/z")], supported={1: True}, text="Z [1].")
    html = render.answer_html(other, 1, evidence=ev)  # streamed evidence of other passages: shown, not linked
    assert YES_SENTENCE_1 in html and 'href="#src-1-1"' in html.split('class="answer-text"')[1] \
        and 'href="#src-1-1"' not in html.split('class="answer-text"')[0]


def test_streaming_bubble_shows_evidence_before_any_model_text():
    ev = evidence_of(yes_no_answer())
    waiting = render.partial_html("", evidence=ev, turn_no=3)
    assert "evidence-block" in waiting and "synthesis" not in waiting and "Writing the answer" in waiting
    assert 'href="#psg-3-1"' in waiting  # the passage cards shown in the sources panel meanwhile
    writing = render.partial_html("Yes: micro", evidence=ev, turn_no=3)
    assert writing.index("evidence-block") < writing.index('class="synthesis"') and "cursor" in writing
    stopped = render.partial_html("Yes: mi", stopped=True, evidence=ev, turn_no=3)
    assert "evidence-block" in stopped and "Stopped" in stopped
    refused = render.partial_html("", evidence=Evidence(question="q", query="q", refused="below-threshold"))
    assert "close enough" in refused and "evidence-block" not in refused
    assert "Searching the corpus" in render.partial_html("")


def test_cited_card_marks_the_cited_sentence_inside_its_passage():
    a = yes_no_answer()
    html = render.turn_sources_html(Turn(question="q", answer=a), 1)
    card = html[html.index('id="src-1-1"'):html.index('id="src-1-2"')]
    quote = re.search(r'<blockquote class="passage">(.*?)</blockquote>', card).group(1)
    assert quote.startswith("Invented background about rats. <mark class=\"hl-cited\"")
    assert re.search(r'<mark class="hl-cited"[^>]*>(.*?)</mark>', quote).group(1) == YES_SENTENCE_1
    assert quote.endswith("</mark> A closing invented remark.")


def test_uncited_and_pending_cards_mark_evidence_sentences():
    a = yes_no_answer()
    a.citations = a.citations[:1]  # passage 2 is now only evidence, not cited
    html = render.turn_sources_html(Turn(question="q", answer=a), 1)
    other = html[html.index('id="psg-1-2"'):]
    assert re.search(r'<mark class="hl-evidence"[^>]*>(.*?)</mark>', other).group(1) == YES_SENTENCE_2
    pending = render.turn_sources_html(Turn(question="q", evidence=evidence_of(yes_no_answer())), 2)
    assert "answering…" in pending and 'id="psg-2-1"' in pending and pending.count('class="hl-evidence"') == 2
    assert "src-card" not in render.turn_sources_html(Turn(question="q"), 2)


def test_chat_messages_render_the_turn_evidence():
    ev = evidence_of(yes_no_answer())
    msgs = render.chat_messages([Turn(question="q", evidence=ev, partial="Yes")])
    assert "evidence-block" in msgs[1]["content"] and "streaming" in msgs[1]["content"]


def test_evidence_spans_use_offsets_or_find_the_sentence():
    p = passage(1, text="Alpha one. Beta two. Gamma three.")
    good = EvidenceSentence(id=1, n=1, chunk_id=p.chunk.chunk_id, text="Beta two.", start=11, end=20)
    moved = EvidenceSentence(id=2, n=1, chunk_id=p.chunk.chunk_id, text="Gamma three.", start=0, end=5)
    lost = EvidenceSentence(id=3, n=1, chunk_id=p.chunk.chunk_id, text="Not there.", start=0, end=10)
    other = EvidenceSentence(id=4, n=2, chunk_id="other", text="Alpha one.", start=0, end=10)
    assert render.evidence_spans(p, [good, moved, lost, other]) == [(11, 20), (21, 33)]
