from __future__ import annotations

import json

import pytest
from pypdf import PdfReader, PdfWriter

from assistant.corpus.add import add_pdf
from assistant.corpus.cache import sidecar_path
from assistant.corpus.contracts import sha256_bytes
from assistant.errors import CorpusError

from .fetch.fakeserver import Reply
from .fetch.helpers import LINES, fixture_bytes, make_pdf


def test_valid_pdf_is_copied_with_sidecar(settings, tmp_path) -> None:
    src = make_pdf(tmp_path / "paper.pdf", LINES[:2])
    res = add_pdf(settings, src, online=False)
    assert res.path.parent == settings.user_dir and res.path.read_bytes() == src.read_bytes()
    side = json.loads(sidecar_path(res.path).read_text())
    assert side["sha256"] == sha256_bytes(src.read_bytes())
    assert side["title"] == "Pretend paper" and side["metadata_source"] == "pdf"
    assert side["authors"] == ["Ashdown PK", "Finch O"] and side["added_at"] and side["doi"] is None
    again = add_pdf(settings, src, online=False)
    assert again.already_present and again.path == res.path
    assert len(list(settings.user_dir.glob("*.pdf"))) == 1


def test_doi_metadata_from_crossref(settings, server, tmp_path) -> None:
    server.routes["/crossref/works/10.9999/review.2023"] = Reply(200, fixture_bytes("crossref_work.json"))
    res = add_pdf(settings, make_pdf(tmp_path / "r.pdf", LINES[:2]), doi="https://doi.org/10.9999/REVIEW.2023")
    assert res.meta["metadata_source"] == "crossref" and res.meta["doi"] == "10.9999/review.2023"
    assert res.meta["title"] == "An invented review of magnetic stimulation and glia"
    assert res.meta["authors"] == ["Testwood AB", "Mockler C"] and res.meta["year"] == 2023
    assert res.path.name == "doi_10.9999_review.2023.pdf"


def test_doi_found_in_pdf_and_offline_lookup_falls_back_quietly(settings, tmp_path) -> None:
    dead = settings.model_copy(update={"crossref_url": "http://127.0.0.1:9/crossref"})
    res = add_pdf(dead, make_pdf(tmp_path / "p.pdf"))
    assert res.meta["doi"] == "10.9999/ref.one" and res.meta["doi_source"] == "pdf"
    assert res.meta["metadata_source"] == "pdf" and res.meta["title"] == "Pretend paper"


def test_renamed_non_pdf_is_rejected(settings, tmp_path) -> None:
    fake = tmp_path / "notes.pdf"
    fake.write_text("just some text that was renamed to .pdf\n" * 20)
    with pytest.raises(CorpusError, match="not a PDF"):
        add_pdf(settings, fake, online=False)
    assert not settings.user_dir.exists() or not any(settings.user_dir.iterdir())


def test_oversized_pdf_is_rejected(settings, tmp_path) -> None:
    src = make_pdf(tmp_path / "big.pdf", LINES[:2])
    small = settings.model_copy(update={"max_pdf_mb": (src.stat().st_size - 1) / 1024 / 1024})
    with pytest.raises(CorpusError, match="MB limit"):
        add_pdf(small, src, online=False)


def test_encrypted_pdf_is_rejected(settings, tmp_path) -> None:
    src = make_pdf(tmp_path / "plain.pdf", LINES[:2])
    writer = PdfWriter()
    for page in PdfReader(src).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    enc = tmp_path / "locked.pdf"
    with open(enc, "wb") as fh:
        writer.write(fh)
    with pytest.raises(CorpusError, match="encrypted"):
        add_pdf(settings, enc, online=False)


def test_pdf_without_text_is_rejected(settings, tmp_path) -> None:
    with pytest.raises(CorpusError, match="no readable text"):
        add_pdf(settings, make_pdf(tmp_path / "blank.pdf", []), online=False)


def test_truncated_pdf_is_rejected(settings, tmp_path) -> None:
    src = make_pdf(tmp_path / "whole.pdf", LINES[:2])
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(src.read_bytes()[:300])
    with pytest.raises(CorpusError):
        add_pdf(settings, cut, online=False)


def test_bad_doi_argument(settings, tmp_path) -> None:
    with pytest.raises(CorpusError, match="does not look like a DOI"):
        add_pdf(settings, make_pdf(tmp_path / "x.pdf"), doi="not-a-doi", online=False)
