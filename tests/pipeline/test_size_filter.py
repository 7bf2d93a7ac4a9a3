import numpy as np

from sitegen.pipeline.size_filter import filter_regions
from sitegen.records import Components, Region


def regions_of(labels, classes):
    """Components records for hand-drawn labels (only the sizes matter to the filter)."""
    labels = np.asarray(labels, np.int32)
    regions = []
    for region_id, class_index in enumerate(classes, start=1):
        rows, cols = np.nonzero(labels == region_id)
        bbox = (int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1)
        regions.append(Region(region_id, class_index, len(rows), bbox, (cols.mean(), rows.mean()), 0.9))
    return Components(labels=labels, regions=tuple(regions))


def test_region_of_exactly_min_size_is_kept_and_one_smaller_dropped():
    labels = [
        [1, 1, 1, 0, 2, 2],
        [0, 0, 0, 0, 0, 0],
        [3, 3, 3, 3, 0, 4],
    ]
    result = filter_regions(regions_of(labels, [0, 0, 1, 1]), min_region_size=3)
    assert [r.id for r in result.kept] == [1, 3]
    assert [r.id for r in result.dropped] == [2, 4]
    np.testing.assert_array_equal(
        result.labels,
        [
            [1, 1, 1, 0, 0, 0],
            [0, 0, 0, 0, 0, 0],
            [3, 3, 3, 3, 0, 0],
        ],
    )
    assert result.labels.dtype == np.int32
    assert result.min_region_size == 3


def test_filter_keeps_everything_at_size_one_and_handles_no_regions():
    labels = [[1, 0, 2]]
    result = filter_regions(regions_of(labels, [0, 1]), min_region_size=1)
    assert [r.id for r in result.kept] == [1, 2] and result.dropped == ()
    empty = filter_regions(Components(np.zeros((2, 2), np.int32), ()), min_region_size=5)
    assert empty.kept == () and empty.dropped == () and not empty.labels.any()
