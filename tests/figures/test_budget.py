"""The size budget of one image's figures: a 640 x 480 image with 5 classes.

Every figure's JSON stays under 300 kB, and all 18 figures together with their assets stay
under 1.5 MB. Assets are counted once per distinct (name, bytes): the photo is the same PNG in
every step and a site stores it once.
"""

from __future__ import annotations

import json

from sitegen.figures import make_palette, render_steps
from tests.synthetic import make_result

FIGURE_LIMIT = 300_000
IMAGE_LIMIT = 1_500_000


def test_a_640x480_image_with_5_classes_fits_the_budget():
    result = make_result(480, 640, 5)
    steps = render_steps(result, make_palette(5))
    figures = {s.step.slug: len(json.dumps(s.figure)) for s in steps}
    assets = {(name, data) for s in steps for name, data in s.assets.items()}
    assert max(figures.values()) < FIGURE_LIMIT, figures
    assert sum(figures.values()) + sum(len(data) for _, data in assets) < IMAGE_LIMIT
    assert len({data for name, data in assets if name == "photo"}) == 1
