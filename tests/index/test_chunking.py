import pytest

from assistant.corpus.contracts import Document, Section
from assistant.index.chunking import Chunker, sentence_spans
from assistant.index.contracts import Chunk
from assistant.index.embedding import MAX_WORD_PIECES


def _doc(*sections: Section) -> Document:
    return Document(doc_id="doi:10.1/x#text", paper_id="doi:10.1/x", title="T", sections=list(sections))


def test_sentence_spans_respect_abbreviations():
    text = "Rats (e.g. Sprague-Dawley) were used. IL-6 fell by 30%. See Fig. 2 for details! Done"
    sents = [text[s.start:s.end] for s in sentence_spans(text)]
    assert sents == ["Rats (e.g. Sprague-Dawley) were used.", "IL-6 fell by 30%.",
                     "See Fig. 2 for details!", "Done"]


@pytest.fixture(scope="module")
def long_text():
    sents = [f"Sentence number {i} reports that stimulation at {i % 20 + 1} Hz changed marker M{i} in tissue "
             f"T{i % 7} of rats with chronic constriction injury." for i in range(120)]
    return " ".join(sents)


def test_chunks_fit_the_embedder_and_overlap(embedder, long_text):
    chunker = Chunker(embedder.count_tokens, max_tokens=120, overlap_tokens=30)
    doc = _doc(Section(title="Results > Spinal cord", text=long_text, page=3))
    chunks = chunker.chunk_document(doc)
    assert len(chunks) > 5
    counts = embedder.count_tokens([c.text for c in chunks])
    assert max(counts) <= 120 < MAX_WORD_PIECES
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.char_start < a.char_end, "adjacent chunks overlap"
        assert b.char_start > a.char_start
    # provenance: exact slices, section title and page carried
    for c in chunks:
        assert long_text[c.char_start:c.char_end] == c.text
        assert c.section == "Results > Spinal cord" and c.page == 3
    assert chunks[0].char_start == 0 and chunks[-1].char_end == len(long_text)


def test_overlong_sentence_is_split_by_words(embedder):
    text = " ".join(f"word{i}" for i in range(600))  # one 'sentence' far over the limit
    chunks = Chunker(embedder.count_tokens, max_tokens=100, overlap_tokens=10).chunk_document(
        _doc(Section(title="", text=text)))
    assert len(chunks) >= 6
    assert max(embedder.count_tokens([c.text for c in chunks])) <= 100


def test_chunk_ids_are_stable_and_content_hashed(embedder):
    chunker = Chunker(embedder.count_tokens, max_tokens=50, overlap_tokens=10)
    doc = _doc(Section(title="A", text="One fact here. Another fact there."), Section(title="B", text="Third fact."))
    first = [c.chunk_id for c in chunker.chunk_document(doc)]
    assert first == [c.chunk_id for c in chunker.chunk_document(doc)]
    assert len(set(first)) == len(first)
    changed = _doc(Section(title="A", text="One fact here. Another fact there."), Section(title="B", text="Fourth."))
    second = [c.chunk_id for c in chunker.chunk_document(changed)]
    assert first[0] == second[0] and first[-1] != second[-1]
    assert Chunk.make_id("d", "A", None, 0, 5, "x") != Chunk.make_id("d", "A", 1, 0, 5, "x")


def test_sections_never_mix(embedder):
    chunker = Chunker(embedder.count_tokens, max_tokens=200, overlap_tokens=20)
    chunks = chunker.chunk_document(_doc(Section(title="Intro", text="Short intro."),
                                         Section(title="Methods", text="Short methods.")))
    assert [(c.section, c.text) for c in chunks] == [("Intro", "Short intro."), ("Methods", "Short methods.")]
    assert [c.ord for c in chunks] == [0, 1]
