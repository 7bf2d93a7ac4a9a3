"""The stage modules keep worked examples in their docstrings.

The examples themselves run once, through pytest's ``--doctest-modules`` over ``sitegen/``
(pyproject.toml); this only checks that every stage still has some to run.
"""

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
def test_stage_module_has_docstring_examples(name):
    module = importlib.import_module(f"sitegen.pipeline.{name}")
    examples = sum(len(test.examples) for test in doctest.DocTestFinder().find(module))
    assert examples > 0, f"sitegen.pipeline.{name} lost its docstring examples"
