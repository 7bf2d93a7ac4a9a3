"""The shipped example ground truth is what examples/make_ground_truth.py draws, and fits its images."""

import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image

from sitegen.evaluation.ground_truth import read_index_png
from sitegen.pipeline.vocabulary import read_vocabulary_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_script():
    spec = importlib.util.spec_from_file_location("make_ground_truth", EXAMPLES / "make_ground_truth.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_files_match_the_script_and_the_images():
    script = load_script()
    vocabulary = read_vocabulary_file(EXAMPLES / "vocab.txt")
    assert script.VOCABULARY == vocabulary.names
    images = {path.stem: path for path in (EXAMPLES / "images").iterdir()}
    for name in script.SHAPES:
        path = EXAMPLES / "ground_truth" / f"{name}.png"
        values = read_index_png(path)
        assert values.tolist() == np.asarray(script.draw(name)).tolist(), f"rerun make_ground_truth.py: {name}"
        with Image.open(images[name]) as image:
            assert values.shape == (image.height, image.width)
        assert set(np.unique(values).tolist()) <= set(range(len(vocabulary))) | {255}
        assert (values == 255).mean() < 0.5  # coarse, but mostly labelled
