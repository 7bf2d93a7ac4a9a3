"""The examples in the stage docstrings are part of the documentation; keep them true."""

import doctest
import importlib

import pytest

MODULES = [
    "components",
    "dense_prediction",
    "final_segmentation",
    "image",
    "mask_selection",
    "overlap_resolution",
    "positive_points",
    "sam_prompting",
    "sampling",
    "size_filter",
    "thresholding",
    "vocabulary",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"sitegen.pipeline.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0
