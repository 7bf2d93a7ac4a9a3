import numpy as np
import pytest

from sitegen.pipeline.sampling import farthest_point_sampling, nearest_index


def reference_farthest_point_sampling(points, first, k):
    """Plain Python loops: pick the point whose nearest chosen point is farthest."""
    chosen = [first]
    while len(chosen) < min(k, len(points)):
        best, best_distance = None, -1.0
        for i, (x, y) in enumerate(points):
            distance = min((x - points[j][0]) ** 2 + (y - points[j][1]) ** 2 for j in chosen)
            if distance > best_distance:
                best, best_distance = i, distance
        if best_distance == 0:
            break
        chosen.append(best)
    return chosen


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 2, 5, 40])
def test_farthest_point_sampling_matches_plain_loop(seed, k):
    rng = np.random.default_rng(seed)
    # Integer pixel coordinates (as the stages use) make exact distance ties common.
    points = rng.integers(0, 12, size=(30, 2)).astype(float) if seed % 2 else rng.random((30, 2)) * 50
    first = int(rng.integers(0, 30))
    expected = reference_farthest_point_sampling(points.tolist(), first, k)
    assert farthest_point_sampling(points, first, k).tolist() == expected


def test_farthest_point_sampling_caps_k_and_never_repeats_a_point():
    points = np.array([[0, 0], [3, 4], [0, 0]], float)
    assert farthest_point_sampling(points, 0, 10).tolist() == [0, 1]
    assert farthest_point_sampling(np.array([[2.0, 2.0]]), 0, 3).tolist() == [0]


def test_farthest_point_sampling_ties_go_to_lowest_index():
    points = np.array([[0, 0], [0, 2], [2, 0], [-2, 0]], float)
    assert farthest_point_sampling(points, 0, 2).tolist() == [0, 1]


def test_nearest_index_breaks_ties_by_lowest_index():
    candidates = np.array([[5, 5], [1, 0], [0, 1], [1, 2]], float)
    assert nearest_index(candidates, (1.0, 1.0)) == 1
    assert nearest_index(candidates, (4.6, 4.4)) == 0


@pytest.mark.parametrize(
    ("candidates", "first", "k"),
    [(np.zeros((0, 2)), 0, 1), (np.zeros((3, 2)), 3, 1), (np.zeros((3, 2)), 0, 0), (np.zeros((3, 3)), 0, 1)],
)
def test_farthest_point_sampling_rejects_bad_arguments(candidates, first, k):
    with pytest.raises(ValueError):
        farthest_point_sampling(candidates, first, k)


@pytest.mark.parametrize("seed", range(4))
def test_excluded_candidates_behave_as_if_removed(seed):
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 15, size=(40, 2)).astype(float)
    excluded = rng.choice(np.arange(1, 40), size=15, replace=False)
    remaining = np.setdiff1d(np.arange(40), excluded)  # ascending, so ties resolve the same way
    expected = remaining[reference_farthest_point_sampling(points[remaining].tolist(), 0, 6)]
    assert farthest_point_sampling(points, 0, 6, excluded=excluded).tolist() == expected.tolist()
    with pytest.raises(ValueError, match="excluded"):
        farthest_point_sampling(points, int(excluded[0]), 2, excluded=excluded)
