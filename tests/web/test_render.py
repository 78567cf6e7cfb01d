"""Rendering of answers, source cards, the sources panel and the status line."""

from __future__ import annotations

import re

from webfakes import answer, passage, refusal

from assistant.answer.models import SentenceCheck
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
    html = render.status_html({"exists": True, "documents": 3, "chunks": 40, "stale": False},
                              "openai", render.model_label("openai", s))
    assert "openai" in html and "m1 at http://h:1/v1" in html and "3 documents, 40 chunks" in html
    assert "rtms-assistant index build" in render.status_html({"exists": False}, "extractive", "x")
    stale = render.status_html({"exists": True, "stale": True, "reasons": ["1 new file(s)"]}, "extractive", "x")
    assert "stale" in stale and "1 new file(s)" in stale
