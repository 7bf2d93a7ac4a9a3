"""The size budget of one image's figures: a 640 x 480 image with 5 classes.

Every figure's JSON stays under 300 kB, and all 18 figures together with their assets stay
under 1.5 MB. Assets are counted once per distinct (name, bytes): the photo is the same PNG in
every step and a site stores it once. The candidates PNG, three photo crops per prompt, shows at
most six prompts.
"""

from __future__ import annotations

import io
import json

from PIL import Image

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


def test_the_candidates_png_shows_six_prompts_in_panels_of_at_most_240_px():
    from sitegen.figures import STEPS, render_step
    from sitegen.figures.canvas import GAP, MARGIN

    result = make_result(120, 160, 10)
    assert len(result.candidates.prompts) == 11
    png = render_step(STEPS[13], result, make_palette(10)).png
    with Image.open(io.BytesIO(png)) as picture:
        width, height = picture.size
    assert width <= 3 * 240 + 2 * GAP + 2 * MARGIN
    assert 6 * 240 < height < 6 * (240 + 80) + 400  # six rows of candidates, captions, title and legend
