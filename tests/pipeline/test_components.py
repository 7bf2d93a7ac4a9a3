import numpy as np

from sitegen.pipeline.components import find_components
from sitegen.records import Region, Thresholding
from tests.pipeline.factories import make_dense


def dense_for(prediction, confidence=0.9, num_classes=3):
    """Probabilities whose argmax is ``prediction`` with p = ``confidence`` for the winner."""
    prediction = np.asarray(prediction)
    confidence = np.broadcast_to(np.asarray(confidence, np.float32), prediction.shape)
    probabilities = np.full(prediction.shape + (num_classes,), 0.01, np.float32)
    np.put_along_axis(probabilities, prediction[..., None], confidence[..., None], axis=2)
    return make_dense(probabilities)


def passing(mask) -> Thresholding:
    return Thresholding(passing=np.asarray(mask, bool), min_confidence=0.5, pixels_per_class=np.zeros(3, np.int64))


def test_diagonal_pixels_join_and_classes_never_merge():
    prediction = [
        [0, 1, 1, 0],
        [1, 0, 1, 0],
        [1, 1, 0, 2],
    ]
    components = find_components(dense_for(prediction), passing(np.ones((3, 4))))
    # (row, col) pairs. Class 0: (0,0)-(1,1)-(2,2)-(1,3)-(0,3) join only through diagonals.
    # Class 1: the top pair, (1,2) and the bottom-left trio join through (1,0)-(0,1) diagonally.
    np.testing.assert_array_equal(
        components.labels,
        [
            [1, 2, 2, 1],
            [2, 1, 2, 1],
            [2, 2, 1, 3],
        ],
    )
    assert [(r.id, r.class_index, r.size) for r in components.regions] == [(1, 0, 5), (2, 1, 6), (3, 2, 1)]
    assert components.labels.dtype == np.int32


def test_ids_run_class_by_class_then_in_raster_order_of_first_pixel():
    prediction = [
        [1, 0, 0, 0, 1],
        [0, 0, 2, 0, 0],
        [2, 0, 0, 0, 1],
    ]
    mask = [
        [1, 0, 0, 0, 1],
        [0, 0, 1, 0, 0],
        [1, 0, 0, 0, 1],
    ]
    components = find_components(dense_for(prediction), passing(mask))
    np.testing.assert_array_equal(
        components.labels,
        [
            [1, 0, 0, 0, 2],
            [0, 0, 4, 0, 0],
            [5, 0, 0, 0, 3],
        ],
    )
    assert [(r.id, r.class_index) for r in components.regions] == [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2)]


def test_region_measurements_are_exact():
    prediction = np.zeros((4, 5), int)
    mask = np.array(
        [
            [0, 1, 1, 1, 0],
            [0, 1, 0, 0, 0],
            [0, 1, 1, 0, 0],
            [0, 0, 0, 0, 0],
        ],
        bool,
    )
    confidence = np.array(
        [
            [0.9, 0.6, 0.7, 0.8, 0.9],
            [0.9, 0.9, 0.9, 0.9, 0.9],
            [0.9, 0.5, 0.6, 0.9, 0.9],
            [0.9, 0.9, 0.9, 0.9, 0.9],
        ]
    )
    components = find_components(dense_for(prediction, confidence), passing(mask))
    (region,) = components.regions
    # Pixels (x, y): (1,0) (2,0) (3,0) (1,1) (1,2) (2,2).
    assert region.id == 1 and region.class_index == 0 and region.size == 6
    assert region.bbox == (1, 0, 4, 3)
    assert region.centroid == (10 / 6, 5 / 6)
    assert abs(region.confidence - (0.6 + 0.7 + 0.8 + 0.9 + 0.5 + 0.6) / 6) < 1e-6


def test_pixels_that_fail_the_threshold_belong_to_no_region():
    prediction = np.zeros((2, 3), int)
    mask = np.array([[1, 0, 1], [0, 0, 1]], bool)
    components = find_components(dense_for(prediction), passing(mask))
    np.testing.assert_array_equal(components.labels, [[1, 0, 2], [0, 0, 2]])
    assert components.regions[1] == Region(2, 0, 2, (2, 0, 3, 2), (2.0, 0.5), components.regions[1].confidence)


def test_nothing_passing_gives_no_regions():
    components = find_components(dense_for(np.zeros((3, 3), int)), passing(np.zeros((3, 3))))
    assert components.regions == ()
    assert not components.labels.any()
