"""Markdown export: questions, answers with renumbered markers, one bibliography."""

from __future__ import annotations

from datetime import UTC, datetime

from webfakes import YES_SENTENCE_1, YES_SENTENCE_2, answer, evidence_of, passage, refusal, yes_no_answer

from assistant.web.export import conversation_markdown, reference_line, write_export
from assistant.web.session import Turn

NOW = datetime(2024, 5, 6, 7, 8, tzinfo=UTC)


def test_markers_are_renumbered_across_turns_and_bibliography_is_shared():
    p1, p2, p3 = passage(1), passage(2, doi="10.9999/b", title="Paper B"), passage(3, doi="10.9999/c",
                                                                                      title="Paper C")
    a1 = answer("q1", text="X [2]. Y [1].", passages=[p1, p2], supported={1: True, 2: True})
    # second answer: its [1] is p3 (new), its [2] is p2 (already numbered 1 in the export)
    a2 = answer("q2", text="Z [1]. W [2].", passages=[p3, p2], supported={1: True, 2: True})
    md = conversation_markdown([Turn(question="q1", answer=a1), Turn(question="q2", answer=a2)], now=NOW)
    assert "X [1]. Y [2]." in md
    assert "Z [3]. W [1]." in md
    refs = md.split("## References", 1)[1]
    lines = [ln for ln in refs.splitlines() if ln[:1].isdigit()]
    assert len(lines) == 3
    assert lines[0].startswith("1. Doe et al. 2021. Paper B.")
    assert lines[2].startswith("3. Doe et al. 2021. Paper C.")
    assert "2024-05-06 07:08 UTC" in md


def test_markers_pointing_nowhere_are_dropped():
    md = conversation_markdown([Turn(question="q", answer=answer(text="A [1]. B [7]."))], now=NOW)
    assert "A [1]. B ." in md and "[7]" not in md


def test_reference_line_has_ids_section_page_and_kind():
    line = reference_line(passage(1, section="Results", page=4, doi="10.9999/x", pmid="99"))
    assert line == ("Doe et al. 2021. An invented study of stimulation and glia. J Invented Neurosci. "
                    "https://doi.org/10.9999/x · PMID 99 — Results, p. 4 (Full text)")


def test_refusals_errors_and_stopped_turns_are_exported_readably():
    turns = [Turn(question="off topic?", answer=refusal()), Turn(question="boom", error="Server down: start it."),
             Turn(question="", error="Type a question first."),
             Turn(question="long", partial="Half [1] done", stopped=True)]
    md = conversation_markdown(turns, now=NOW)
    assert "## 1. off topic?\n\n*No answer:* The corpus does not contain" in md
    assert "boom" not in md and "Server down" not in md and "Type a question" not in md  # failed turns left out
    assert "## 2. long" in md
    assert "Half done" in md.replace("  ", " ") and "stopped" in md
    assert "No passages were cited." in md


def test_unsupported_sentences_and_rewritten_query_are_noted():
    from assistant.answer.models import SentenceCheck

    a = answer("in which tissue?", text="In the cord [1].", supported={1: False}, query="tissue of Iba1 decrease",
               sentences=[SentenceCheck(text="In the cord [1].", markers=[1], supported=False)])
    md = conversation_markdown([Turn(question="in which tissue?", answer=a)], now=NOW)
    assert "Not supported by the cited passages" in md and "searched as “tissue of Iba1 decrease”" in md


def test_write_export_writes_atomically_to_a_named_file(tmp_path):
    path = write_export("# hi\n", tmp_path / "s1", now=NOW)
    assert path.name == "rtms-conversation-20240506-070800.md" and path.read_text() == "# hi\n"
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_verdict_and_evidence_are_exported_with_bibliography_markers():
    a = yes_no_answer(verdict="mixed")
    a.citations = a.citations[:1]  # the second evidence sentence's passage is not cited by the answer
    md = conversation_markdown([Turn(question="q1", answer=answer("q1", text="X [3].", supported={3: True})),
                                Turn(question="q2", answer=a)], now=NOW)
    body = md.split("## 2. q2", 1)[1]
    assert body.index("**Verdict: Mixed evidence**") < body.index("Yes: microglial") < body.index("*Evidence")
    assert f"- “{YES_SENTENCE_1}” [2] (Doe et al. 2021, Results \\> Spinal cord, p. 4)" in body
    assert f"- “{YES_SENTENCE_2}” [3] (Smith 2019, Results)" in body
    refs = [ln for ln in md.split("## References", 1)[1].splitlines() if ln[:1].isdigit()]
    assert len(refs) == 3 and "Second invented paper" in refs[2]


def test_evidence_text_is_markdown_escaped_and_streamed_evidence_used_for_stopped_turns():
    a = yes_no_answer(extra=" <b>*x*</b>")
    md = conversation_markdown([Turn(question="q", evidence=evidence_of(a), partial="Yes", stopped=True)], now=NOW)
    assert "\\<b\\>\\*x\\*\\</b\\>" in md and "<b>" not in md.split("## References")[0]
    assert "Verdict" not in md  # no checked answer, so no verdict


def test_refusal_with_verdict_exports_the_verdict():
    r = refusal()
    r.verdict = "insufficient"
    md = conversation_markdown([Turn(question="q", answer=r)], now=NOW)
    assert "**Verdict: Insufficient evidence**" in md and "*No answer:*" in md
