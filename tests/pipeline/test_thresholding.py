import numpy as np
import pytest

from sitegen.pipeline.thresholding import threshold_confidence
from tests.pipeline.factories import make_dense


@pytest.mark.parametrize("min_confidence", [0.3, 0.55, 0.7])
def test_probability_equal_to_min_confidence_passes_and_just_below_fails(min_confidence):
    at = np.float32(min_confidence)  # what a probability equal to the threshold holds
    below = np.nextafter(at, np.float32(0))
    probabilities = np.array([[[at, 0.2, 0.1], [below, 0.2, 0.1]]], np.float32)
    result = threshold_confidence(make_dense(probabilities), min_confidence)
    assert result.passing.tolist() == [[True, False]]
    assert result.min_confidence == min_confidence


def test_pixels_per_class_counts_only_passing_pixels_of_the_winner():
    probabilities = np.array(
        [
            [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.4, 0.35, 0.25]],
            [[0.1, 0.1, 0.8], [0.2, 0.5, 0.3], [0.6, 0.3, 0.1]],
        ],
        np.float32,
    )
    result = threshold_confidence(make_dense(probabilities), 0.5)
    assert result.passing.tolist() == [[True, True, False], [True, True, True]]
    assert result.pixels_per_class.tolist() == [2, 2, 1]
    assert result.pixels_per_class.dtype == np.int64
