"""Issue 12: what `corpus add` reports as added, the next `index build` indexes; and both accept the same PDFs."""

from __future__ import annotations

import shutil

import pytest
from pypdf import PdfReader, PdfWriter

from assistant.corpus.add import add_pdf, safe_stem
from assistant.corpus.readers import iter_corpus_files
from assistant.errors import CorpusError
from assistant.index.builder import build_index, index_status
from assistant.index.store import IndexStore

from .fetch.helpers import LINES, make_pdf


def _encrypted(src, dest, user_password: str):
    writer = PdfWriter()
    for page in PdfReader(src).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password="owner-secret")
    with open(dest, "wb") as fh:
        writer.write(fh)
    return dest


@pytest.mark.parametrize("name", [".hidden.pdf", "..x.pdf", "-dash.pdf", "_.pdf", "notes~.pdf", "paper.part.pdf"])
def test_every_added_name_is_indexed_by_the_next_build(settings, tmp_path, embedder, name):
    src = make_pdf(tmp_path / "src" / "made.pdf", LINES[:3], title=f"Invented paper {name}")
    shutil.copy(src, tmp_path / name)
    res = add_pdf(settings, tmp_path / name, online=False)
    assert res.path in iter_corpus_files(settings.corpus_dir)
    summary = build_index(settings, progress=False, embedder=embedder)
    assert summary.documents == 1 and not summary.skipped, summary.skipped
    assert index_status(settings).stale is False
    assert [d.source for d in IndexStore.open(settings).docs.values()] == [str(res.path.relative_to(
        settings.corpus_dir))]


def test_safe_stem_never_hidden():
    for stem in (".hidden", "..x", "...", "-a", ".._-", ""):
        out = safe_stem(stem)
        assert out and not out.startswith((".", "-", "_")), (stem, out)


def test_pdf_with_empty_user_password_is_accepted_by_add_and_indexed(settings, tmp_path, embedder):
    src = make_pdf(tmp_path / "plain.pdf", LINES[:3])
    res = add_pdf(settings, _encrypted(src, tmp_path / "owner-only.pdf", ""), online=False)
    summary = build_index(settings, progress=False, embedder=embedder)
    assert summary.documents == 1 and not summary.skipped
    assert res.path.exists()


def test_pdf_with_a_user_password_is_refused_by_add_and_skipped_by_build(settings, tmp_path, embedder):
    src = make_pdf(tmp_path / "plain.pdf", LINES[:3])
    locked = _encrypted(src, tmp_path / "locked.pdf", "secret")
    with pytest.raises(CorpusError, match="encrypted"):
        add_pdf(settings, locked, online=False)
    settings.user_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(locked, settings.user_dir / "locked.pdf")  # dropped in by hand: the build names it and goes on
    summary = build_index(settings, progress=False, embedder=embedder)
    assert summary.documents == 0 and "password" in dict(summary.skipped)["user/locked.pdf"]


def test_second_different_pdf_of_the_same_paper_is_refused_with_the_reason(settings, tmp_path):
    first = make_pdf(tmp_path / "a.pdf", LINES[:3])
    add_pdf(settings, first, doi="10.9999/same.paper", online=False)
    other = make_pdf(tmp_path / "b.pdf", LINES[:2], title="Another copy")
    with pytest.raises(CorpusError, match="already holds this paper"):
        add_pdf(settings, other, doi="10.9999/same.paper", online=False)
