"""History normalisation: every shape Gradio 6 hands us becomes plain role/content strings."""

from __future__ import annotations

from assistant.web.history import api_history, content_text, normalise_messages, strip_html, strip_markers


def test_string_and_block_list_contents_normalise_to_the_same_text():
    as_str = [{"role": "user", "content": "Which markers?"}, {"role": "assistant", "content": "Iba1 [1]."}]
    as_blocks = [{"role": "user", "content": [{"type": "text", "text": "Which markers?"}]},
                 {"role": "assistant", "content": [{"type": "text", "text": "Iba1 [1]."}]}]
    assert normalise_messages(as_str) == normalise_messages(as_blocks) == [
        {"role": "user", "content": "Which markers?"}, {"role": "assistant", "content": "Iba1 [1]."}]


def test_multiple_blocks_are_joined_and_files_become_placeholders():
    msg = {"role": "user", "content": [
        {"type": "text", "text": "Look at this"},
        {"type": "file", "file": {"path": "/tmp/gradio/abc/figure.png", "orig_name": "figure.png"}},
        {"type": "text", "text": "and explain"}]}
    assert normalise_messages([msg]) == [{"role": "user", "content": "Look at this\n[file: figure.png]\nand explain"}]


def test_objects_with_attributes_are_read_like_dicts():
    class Block:
        type = "text"
        text = "from an object"

    class Msg:
        role = "assistant"
        content = [Block()]
        metadata = None

    assert normalise_messages([Msg()]) == [{"role": "assistant", "content": "from an object"}]


def test_system_thought_and_empty_messages_are_dropped_and_same_role_merged():
    msgs = [{"role": "system", "content": "be nice"},
            {"role": "user", "content": "first"},
            {"role": "user", "content": [{"type": "text", "text": "second"}]},
            {"role": "assistant", "content": "thinking", "metadata": {"title": "Retrieval"}},
            {"role": "assistant", "content": ""},
            {"role": "assistant", "content": "answer"}]
    assert normalise_messages(msgs) == [{"role": "user", "content": "first\n\nsecond"},
                                        {"role": "assistant", "content": "answer"}]


def test_none_and_unknown_blocks_give_empty_text():
    assert normalise_messages(None) == []
    assert content_text([{"type": "component", "value": {"x": 1}}, None]) == ""


def test_markers_and_html_are_stripped_for_the_api_but_comparisons_kept():
    assert strip_markers("IL-6 fell [1], TNF-α too [2, 3][4-5].") == "IL-6 fell, TNF-α too."
    assert strip_html('<div class="a">p <0.05 <a href="#x">[1]</a></div>') == "p <0.05 [1]"


def test_api_history_keeps_last_turns_and_starts_with_user():
    msgs = []
    for i in range(5):
        msgs += [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i} [1]"}]
    h = api_history([{"role": "assistant", "content": "greeting"}, *msgs], max_turns=2)
    assert h == [{"role": "user", "content": "q3"}, {"role": "assistant", "content": "a3"},
                 {"role": "user", "content": "q4"}, {"role": "assistant", "content": "a4"}]
    assert api_history(msgs, max_turns=0) == []


def test_api_history_keeps_the_papers_each_answer_cited():
    msgs = [{"role": "user", "content": "Which glial marker fell?"},
            {"role": "assistant", "content": "<p>Iba-1 fell [1].</p>", "paper_ids": ["doi:10.1/x"]},
            {"role": "user", "content": "And GFAP?"},
            {"role": "assistant", "content": "It fell less [2]."}]
    out = api_history(msgs)
    assert out[1] == {"role": "assistant", "content": "Iba-1 fell.", "paper_ids": ["doi:10.1/x"]}
    assert "paper_ids" not in out[3]
