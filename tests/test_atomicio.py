"""The one atomic-write helper: old content survives a failed write, no temporary file is left behind."""

import json
import os
import stat

import pytest

from assistant import atomicio


def test_write_text_replaces_and_leaves_only_the_target(tmp_path) -> None:
    target = tmp_path / "sub" / "a.txt"
    atomicio.write_text(target, "one\n")
    atomicio.write_text(target, "two\r\n")  # written byte for byte, no newline translation
    assert target.read_bytes() == b"two\r\n"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


def test_an_exception_inside_the_block_keeps_the_old_file(tmp_path) -> None:
    target = tmp_path / "t.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomicio.atomic_open(target) as fh:
        fh.write("half of the new")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_a_failing_rename_removes_the_temporary_file(tmp_path, monkeypatch) -> None:
    target = tmp_path / "t.json"
    monkeypatch.setattr(os, "replace", lambda src, dst: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        atomicio.write_json(target, {"a": 1})
    assert list(tmp_path.iterdir()) == []


def test_write_json_keeps_non_ascii_and_ends_with_a_newline(tmp_path) -> None:
    target = atomicio.write_json(tmp_path / "x.json", {"marker": "TNF-α"})
    text = target.read_text(encoding="utf-8")
    assert "TNF-α" in text and text.endswith("}\n") and json.loads(text) == {"marker": "TNF-α"}
    compact = atomicio.write_json(tmp_path / "y.json", {"a": 1}, indent=None, trailing_newline=False)
    assert compact.read_text() == '{"a": 1}'


def test_mode_and_temporary_names(tmp_path) -> None:
    target = atomicio.write_bytes(tmp_path / "private.md", b"x", mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert atomicio.temp_path(tmp_path / "CURRENT", tag="12.34").name == ".CURRENT.12.34.tmp"
    assert atomicio.temp_path(tmp_path / "plot.png", keep_suffix=True).suffix == ".png"
    seen = []
    with atomicio.atomic_path(tmp_path / "plot.png", keep_suffix=True) as work:
        seen.append(work)
        work.write_bytes(b"png")
    assert seen[0].name.endswith(".tmp.png") and not seen[0].exists() and (tmp_path / "plot.png").read_bytes() == b"png"


def test_an_explicit_temporary_name_is_used(tmp_path) -> None:
    target, partial = tmp_path / "model.gguf", tmp_path / "model.gguf.partial"
    with pytest.raises(ValueError), atomicio.atomic_open(target, binary=True, tmp=partial) as fh:
        fh.write(b"abc")
        assert partial.exists()
        raise ValueError("wrong hash")
    assert list(tmp_path.iterdir()) == []
