"""A class has the same colour in every figure and picture of a run."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from sitegen.figures import make_palette, render_steps
from tests.synthetic import make_result


def class_colours(figure: dict, names: list[str]) -> list[tuple[str, str]]:
    """(class name, colour) for every shape and trace that stands for a class."""
    found = []
    for shape in figure["layout"].get("shapes", []):
        if shape.get("name") in names and "fillcolor" in shape:
            found.append((shape["name"], shape["fillcolor"]))
    for trace in figure["data"]:
        name = trace.get("name", "")
        for n in names:
            if name in (n, f"{n} regions", f"{n} prompts", f"on {n}"):
                found.append((n, trace["marker"]["color"]))
            elif name in (f"{n} points", f"{n} positive", f"{n} negative"):
                found.append((n, trace["marker"]["line"]["color"]))
    return found


def test_every_figure_uses_the_palette_colour_of_each_class():
    result = make_result(num_classes=5, height=96, width=128)
    palette = make_palette(5)
    names = result.vocabulary.names
    steps = render_steps(result, palette)
    figures_with_classes = 0
    for step in steps:
        found = class_colours(step.figure, names)
        figures_with_classes += bool(found)
        for name, colour in found:
            assert colour == palette.hex(names.index(name)), (step.step.slug, name)
    assert figures_with_classes >= 10
    table = steps[1].figure["data"][0]
    assert table["cells"]["fill"]["color"][1] == [palette.hex(i) for i in range(5)]


def test_class_maps_in_pictures_use_exact_palette_colours():
    result = make_result()
    palette = make_palette(3)
    steps = render_steps(result, palette)
    for step in (steps[5], steps[16]):  # the argmax map and the final map panels
        pixels = np.asarray(Image.open(io.BytesIO(step.png)).convert("RGB")).reshape(-1, 3)
        present = {tuple(p) for p in np.unique(pixels, axis=0).tolist()}
        for c in range(3):
            assert palette.colour(c) in present, (step.step.slug, c)
