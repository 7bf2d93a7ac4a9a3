import numpy as np
import pytest

from sitegen.options import NEGATIVE_MIN_DISTANCE
from sitegen.pipeline.components import find_components
from sitegen.pipeline.negative_points import place_negative_points
from sitegen.pipeline.positive_points import place_positive_points
from sitegen.pipeline.size_filter import filter_regions
from sitegen.records import DensePrediction, Region, SizeFilter, Thresholding
from tests.pipeline.factories import make_dense
from tests.pipeline.test_sampling import reference_farthest_point_sampling


def scene(prediction, confidence, num_classes=3) -> DensePrediction:
    """Probabilities whose argmax is ``prediction`` with p = ``confidence`` for the winner."""
    prediction = np.asarray(prediction)
    probabilities = np.full(prediction.shape + (num_classes,), 0.001, np.float32)
    np.put_along_axis(probabilities, prediction[..., None], np.asarray(confidence, np.float32)[..., None], axis=2)
    return make_dense(probabilities)


def passing_except(prediction, excluded=None):
    """Every pixel passes, except those of class ``excluded``."""
    return Thresholding(np.asarray(prediction) != excluded, 0.0, np.zeros(3, np.int64))


def one_pixel_region(shape, x, y, class_index) -> SizeFilter:
    labels = np.zeros(shape, np.int32)
    labels[y, x] = 1
    return SizeFilter(labels, (Region(1, class_index, 1, (x, y, x + 1, y + 1), (x, y), 0.9),), (), 1)


def test_candidates_exactly_ten_pixels_away_qualify_and_nine_do_not():
    assert NEGATIVE_MIN_DISTANCE == 10
    prediction = np.full((21, 21), 2)
    confidence = np.full((21, 21), 0.5)  # class 2 everywhere, not confident enough
    prediction[10, 10], confidence[10, 10] = 0, 0.9  # the region
    for (x, y), p in {(19, 10): 0.9, (10, 1): 0.9, (16, 18): np.float32(0.8), (0, 0): 0.79}.items():
        prediction[y, x], confidence[y, x] = 1, p
    prediction[20, 0], confidence[20, 0] = 0, 0.95  # the region's own class never qualifies
    # (19, 10) and (10, 1) are 9 px away; (16, 18) is 10 (6-8-10) with p exactly at the threshold;
    # (0, 0) is 14.1 px away but p 0.79 < 0.8.
    size_filter = one_pixel_region((21, 21), 10, 10, 0)
    points = place_positive_points(size_filter, 1)
    (result,) = place_negative_points(points, size_filter, scene(prediction, confidence), 3, 0.8)
    np.testing.assert_array_equal(result.negative, [[16, 18]])
    np.testing.assert_array_equal(result.negative_classes, [1])
    assert result.negative.dtype == np.float32 and result.negative_classes.dtype == np.int32
    assert result.negative_candidates == 1
    np.testing.assert_array_equal(result.positive, points[0].positive)


def test_no_candidates_gives_empty_negatives_and_a_zero_count():
    prediction = np.zeros((15, 15), int)
    prediction[0, 14] = 1  # another class far enough away, but not confident enough
    confidence = np.full((15, 15), 0.9)
    confidence[0, 14] = 0.5
    size_filter = one_pixel_region((15, 15), 0, 14, 0)
    points = place_positive_points(size_filter, 1)
    (result,) = place_negative_points(points, size_filter, scene(prediction, confidence), 2, 0.8)
    assert result.negative.shape == (0, 2) and result.negative.dtype == np.float32
    assert result.negative_classes.shape == (0,) and result.negative_classes.dtype == np.int32
    assert result.negative_candidates == 0


def test_zero_negatives_computes_nothing():
    size_filter = one_pixel_region((5, 5), 2, 2, 0)
    points = place_positive_points(size_filter, 1)
    assert place_negative_points(points, size_filter, None, 0, 0.8) is points


def test_nearest_candidate_first_with_row_major_ties_then_farthest():
    prediction = np.zeros((30, 30), int)
    confidence = np.full((30, 30), 0.9)
    region = one_pixel_region((30, 30), 15, 15, 0)
    # (15, 3) and (3, 15) are both 12 px away: (15, 3) comes first in row-major order.
    # Then the farthest from it among the rest: (29, 29) beats (3, 15) and (0, 20).
    for x, y in [(3, 15), (15, 3), (29, 29), (0, 20)]:
        prediction[y, x] = 2
    (result,) = place_negative_points(place_positive_points(region, 1), region, scene(prediction, confidence), 3, 0.8)
    np.testing.assert_array_equal(result.negative, [[15, 3], [29, 29], [0, 20]])
    np.testing.assert_array_equal(result.negative_classes, [2, 2, 2])
    assert result.negative_candidates == 4


def test_nearest_candidate_far_outside_the_crop_is_found():
    prediction = np.zeros((20, 150), int)
    confidence = np.full((20, 150), 0.5)  # class 0 everywhere, not confident enough
    prediction[5:8, 0:3], confidence[5:8, 0:3] = 1, 0.9  # the region, class 1, farther than the crop margin
    confidence[0, 120] = confidence[19, 100] = 0.9
    prediction[0, 120] = 2  # sqrt(118**2 + 5**2) = 118.1 from (2, 5)
    prediction[19, 100] = 2  # sqrt(98**2 + 12**2) = 98.7 from (2, 7)
    dense = scene(prediction, confidence)
    size_filter = filter_regions(find_components(dense, passing_except(prediction)), 9)
    ours = [p for p in place_positive_points(size_filter, 1) if p.class_index == 1]
    (result,) = place_negative_points(tuple(ours), size_filter, dense, 2, 0.8)
    np.testing.assert_array_equal(result.negative, [[100, 19], [120, 0]])
    assert result.negative_candidates == 2


def reference_negatives(labels, region, dense, n, threshold):
    """Brute force: every candidate's distance to every region pixel, then plain-loop sampling."""
    region_yx = np.argwhere(labels == region.id)
    confident = dense.confidence >= np.float32(threshold)
    candidate_yx = np.argwhere(confident & (dense.prediction != region.class_index))
    if len(candidate_yx) == 0:
        return np.zeros((0, 2)), 0
    distance = np.sqrt(((candidate_yx[:, None, :] - region_yx[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    qualified = candidate_yx[distance >= 10]
    if len(qualified) == 0:
        return np.zeros((0, 2)), 0
    first = int(np.argmin(distance[distance >= 10]))
    xy = qualified[:, ::-1].astype(float)
    return xy[reference_farthest_point_sampling(xy.tolist(), first, n)], len(qualified)


@pytest.mark.parametrize("seed", range(4))
def test_matches_brute_force_reference_on_random_scenes(seed):
    rng = np.random.default_rng(seed)
    height, width = 40, 192  # wider than a region's crop, so both distance paths run
    # Background class 2; 4 x 4 blocks of class 0 or 1 become the regions, and scattered single
    # pixels of every class (too small to keep) are extra negative candidates.
    blocks = np.kron(rng.choice(3, p=[0.06, 0.06, 0.88], size=(height // 4, width // 4)), np.ones((4, 4), int))
    prediction = np.where(rng.random((height, width)) < 0.05, rng.integers(0, 3, size=(height, width)), blocks)
    confidence = rng.uniform(0.5, 1.0, size=(height, width))
    dense = scene(prediction, confidence)
    size_filter = filter_regions(find_components(dense, passing_except(prediction, excluded=2)), 8)
    points = place_positive_points(size_filter, 1)
    results = place_negative_points(points, size_filter, dense, 4, 0.9)
    assert len(results) == len(points) > 5
    for result, region in zip(results, size_filter.kept):
        expected, count = reference_negatives(size_filter.labels, region, dense, 4, 0.9)
        np.testing.assert_array_equal(result.negative, expected)
        assert result.negative_candidates == count
        x, y = expected.astype(int).T
        np.testing.assert_array_equal(result.negative_classes, dense.prediction[y, x])


@pytest.mark.parametrize("seed", range(3))
def test_matches_brute_force_reference_when_candidates_lie_beyond_the_first_crop(seed):
    rng = np.random.default_rng(seed)
    height, width = 24, 300
    prediction = np.full((height, width), 2)
    confidence = np.full((height, width), 0.5)  # class 2 background, never confident
    for _ in range(4):  # class 0 and 1 regions on the left
        x, y = rng.integers(0, 80), rng.integers(0, height - 4)
        prediction[y : y + 4, x : x + 5] = rng.integers(0, 2)
    far = (rng.random((height, width)) < 0.01) & (np.arange(width) > 200)
    prediction[far] = rng.integers(0, 2, size=far.sum())
    confidence[prediction != 2] = 0.95
    dense = scene(prediction, confidence)
    size_filter = filter_regions(find_components(dense, passing_except(prediction, excluded=2)), 10)
    results = place_negative_points(place_positive_points(size_filter, 1), size_filter, dense, 3, 0.9)
    assert len(results) >= 2
    for result, region in zip(results, size_filter.kept):
        expected, count = reference_negatives(size_filter.labels, region, dense, 3, 0.9)
        assert count > 0
        np.testing.assert_array_equal(result.negative, expected)
        assert result.negative_candidates == count
