"""The hand-built results of tests/synthetic.py keep the promises other tests rely on."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from tests.synthetic import make_result


def test_default_scene_has_every_feature():
    result = make_result()
    assert len(result.components.regions) == 5
    assert [r.size for r in result.size_filter.dropped] == [9]
    assert len(result.size_filter.kept) == 4
    assert all(len(rp.positive) == 3 and len(rp.negative) == 2 for rp in result.points)
    assert result.candidates.masks.prompts == (0, 1, 2, 3) and result.candidates.masks.image_shape == (48, 64)
    assert len(result.overlap.suppressed) == 1
    assert result.models.random_weights


def test_prediction_is_the_argmax_of_probabilities_in_unit_range():
    result = make_result(seed=3)
    dense = result.dense
    probabilities = dense.scores.probabilities()
    assert np.array_equal(dense.prediction, probabilities.argmax(axis=2))
    assert probabilities.shape == (48, 64, 3)
    assert np.all(probabilities <= 1.0) and np.all(probabilities > 0)
    assert result.vocabulary.classes[0].queries == ("person", "man", "woman", "child")


def test_regions_are_the_eight_connected_components_of_the_passing_pixels():
    result = make_result()
    passing = result.dense.confidence >= result.options.min_confidence
    assert np.array_equal(result.thresholding.passing, passing)
    for region in result.components.regions:
        mask = result.components.labels == region.id
        assert mask.sum() == region.size
        assert np.all(result.dense.prediction[mask] == region.class_index)
        labelled, count = ndimage.label(mask, np.ones((3, 3)))
        assert count == 1


def test_final_map_is_the_argmax_with_kept_masks_painted():
    result = make_result()
    final = result.final
    untouched = final.source < 0
    assert np.array_equal(final.labels[untouched], result.dense.prediction[untouched])
    for index in result.overlap.kept:
        painted = final.source == index
        assert np.all(final.labels[painted] == result.candidates.prompts[index].class_index)


@pytest.mark.parametrize(
    "options, check",
    [
        ({"nothing_passes": True}, lambda r: not r.thresholding.passing.any() and not r.candidates.prompts),
        ({"num_classes": 1}, lambda r: len(r.vocabulary) == 1 and r.candidates.prompts),
        ({"num_classes": 30}, lambda r: len(r.vocabulary) == 30 and r.vocabulary.names[29] == "class 29"),
        ({"one_pixel_region": True}, lambda r: 1 in [reg.size for reg in r.size_filter.kept]),
        (
            {"height": 24, "width": 400},
            lambda r: r.image.rgb.shape == (24, 400, 3) and len(r.dense.windows) == 18,
        ),
    ],
)
def test_variants(options, check):
    assert check(make_result(**options))
