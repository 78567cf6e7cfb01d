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
