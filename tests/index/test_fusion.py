from assistant.index.retrieve import cap_per_group, rrf_fuse


def test_rrf_sums_reciprocal_ranks():
    fused = dict(rrf_fuse([[1, 2, 3], [3, 1]], k=60))
    assert fused[1] == 1 / 61 + 1 / 62
    assert fused[3] == 1 / 63 + 1 / 61
    assert fused[2] == 1 / 62
    order = [i for i, _ in rrf_fuse([[1, 2, 3], [3, 1]], k=60)]
    assert order == [1, 3, 2]


def test_rrf_item_in_one_list_only_still_ranked():
    assert [i for i, _ in rrf_fuse([[], [7, 8]])] == [7, 8]


def test_cap_per_group_limits_one_paper():
    groups = ["a", "a", "a", "b", "a", "c"]
    assert cap_per_group(range(6), groups, cap=2, limit=10) == [0, 1, 3, 5]
    assert cap_per_group(range(6), groups, cap=1, limit=2) == [0, 3]


def test_relative_bm25_is_comparable_across_corpus_sizes() -> None:
    from assistant.index.bm25 import BM25Index

    def best(n_chunks: int) -> tuple[float, float]:
        filler = [f"cortical stimulation session {i} reduced pain ratings" for i in range(n_chunks - 1)]
        index = BM25Index(filler + ["microglial interleukin fell after stimulation"])
        raw = float(index.scores("interleukin").max())
        return raw, index.relative(raw)

    small, large = best(8), best(800)
    assert large[0] > 2 * small[0]  # raw BM25 grows with log(corpus size) ...
    assert abs(small[1] - large[1]) < 0.1 * large[1]  # ... the relative score does not
    assert 0.2 < large[1] < 1.0  # one rare term matched once scores below one unit


def _doc(paper: str, authors: list[str], year: int | None):
    from assistant.corpus.contracts import DocumentMeta

    return DocumentMeta(doc_id=f"{paper}#note", paper_id=paper, title="t", authors=authors, year=year)


def test_named_papers_are_found_by_surname_and_year() -> None:
    from assistant.index.retrieve import cited_names, named_papers

    docs = cited_names([_doc("khedr2005", ["Khedr EM"], 2005), _doc("quesada2020", ["Quesada C"], 2020),
                        _doc("yang2018", ["Yang L"], 2018), _doc("yang2022", ["Yang Y"], 2022),
                        _doc("anon", [], 2016)])
    assert named_papers("How did Khedr 2005 and Quesada 2020 schedule sessions?", docs) == {"khedr2005",
                                                                                           "quesada2020"}
    assert named_papers("What did Yang 2018 report?", docs) == {"yang2018"}  # the year picks one Yang
    assert named_papers("What did Yang and colleagues report?", docs) == {"yang2018", "yang2022"}
    assert named_papers("Does rTMS help young patients in 2016?", docs) == set()  # no surname, no paper
    assert named_papers("what did khedr find?", docs) == set()  # a name is capitalised


def test_include_named_swaps_in_a_named_paper_and_keeps_rank_order() -> None:
    from assistant.index.retrieve import include_named

    paper_of = ["a", "b", "c", "d", "q"]
    ranked = [0, 1, 2, 3, 4]
    kept = include_named([0, 1, 2, 3], ranked, paper_of, {"a", "q"})
    assert kept == [0, 1, 2, 4]  # the lowest-ranked unnamed paper (d) gave way to q
    assert include_named([0, 1], ranked, paper_of, {"a"}) == [0, 1]  # already there: unchanged
