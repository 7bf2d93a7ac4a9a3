import numpy as np

from sitegen.pipeline.components import find_components
from sitegen.pipeline.positive_points import place_positive_points
from sitegen.pipeline.size_filter import filter_regions
from sitegen.records import Region, SizeFilter, Thresholding
from tests.pipeline.factories import make_dense

C_SHAPE = np.array(
    [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 1, 1, 1, 1, 1, 0],
        [0, 1, 0, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 0, 0],
        [0, 1, 1, 1, 1, 1, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ],
    bool,
)


def kept_c_shape() -> SizeFilter:
    """The C shape as class 1 (everything else class 0, failing the threshold)."""
    probabilities = np.zeros(C_SHAPE.shape + (2,), np.float32)
    probabilities[..., 0] = np.where(C_SHAPE, 0.1, 0.2)
    probabilities[..., 1] = np.where(C_SHAPE, 0.9, 0.1)
    dense = make_dense(probabilities)
    components = find_components(dense, Thresholding(C_SHAPE, 0.5, np.array([0, 13])))
    return filter_regions(components, min_region_size=1)


def test_c_shape_first_point_is_the_region_pixel_nearest_its_outside_centroid():
    size_filter = kept_c_shape()
    (region,) = size_filter.kept
    # 13 pixels: x sums to 15 + 3 + 15 = 33, y to 5 + (2 + 3 + 4) + 25 = 39.
    assert region.centroid == (33 / 13, 3.0)
    assert not C_SHAPE[3, round(33 / 13)]  # the centroid lies in the hole
    (points,) = place_positive_points(size_filter, points_per_cluster=1)
    # Squared distances from (2.54, 3): (1, 3) -> 2.37, (1, 2) and (1, 4) -> 3.37, (2, 1) -> 4.29.
    np.testing.assert_array_equal(points.positive, [[1, 3]])
    assert points.positive.dtype == np.float32
    assert (points.region_id, points.class_index, points.confidence) == (1, 1, region.confidence)


def test_c_shape_further_points_by_farthest_point_sampling():
    (points,) = place_positive_points(kept_c_shape(), points_per_cluster=3)
    # From (1, 3): (5, 1) and (5, 5) are both 20 away; (5, 1) comes first in row-major order.
    # Then (5, 5) is 16 from (5, 1) and 20 from (1, 3); no other pixel is 16 or more from both.
    np.testing.assert_array_equal(points.positive, [[1, 3], [5, 1], [5, 5]])
    assert all(C_SHAPE[int(y), int(x)] for x, y in points.positive)


def test_points_capped_at_region_size_and_centroid_ties_go_to_first_pixel():
    labels = np.zeros((3, 4), np.int32)
    labels[1, 1:3] = 1
    labels[0, 3] = 2
    kept = (
        Region(1, 0, 2, (1, 1, 3, 2), (1.5, 1.0), 0.8),
        Region(2, 1, 1, (3, 0, 4, 1), (3.0, 0.0), 0.7),
    )
    first, second = place_positive_points(SizeFilter(labels, kept, (), 1), points_per_cluster=5)
    np.testing.assert_array_equal(first.positive, [[1, 1], [2, 1]])
    np.testing.assert_array_equal(second.positive, [[3, 0]])
    assert [first.region_id, second.region_id] == [1, 2]
    assert first.negative.shape == (0, 2) and first.negative_candidates == 0


def test_no_kept_regions_gives_no_points():
    assert place_positive_points(SizeFilter(np.zeros((2, 2), np.int32), (), (), 1), 3) == ()
