"""The funnel figure and the side-by-side variant maps: valid Plotly, real counts, linked axes."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from sitegen.figures import make_palette
from sitegen.figures.variants import plot_funnel, plot_variant_maps
from sitegen.pipeline.funnel import STAGES, compute_funnel
from tests.synthetic import default_options, make_result


def test_the_funnel_has_one_toggleable_trace_per_class_with_the_real_counts():
    result = make_result(num_classes=4)
    funnels = compute_funnel(result)
    figure = plot_funnel(funnels, make_palette(4))
    go.Figure(figure)  # raises on anything Plotly does not know
    assert [t["name"] for t in figure["data"]] == ["person", "grass", "sky", "car"]
    assert figure["layout"]["legend"]["itemclick"] == "toggle"
    for trace, funnel in zip(figure["data"], funnels):
        assert trace["type"] == "funnel" and trace["y"] == [s.label for s in STAGES]
        counts = [int(text.split()[0].replace(",", "")) for text in trace["text"]]
        assert counts == list(funnel.counts)
        assert trace["x"][0] == (100.0 if funnel.count("argmax") else 0.0)
        assert trace["visible"] == (True if funnel.count("argmax") else "legendonly")
    # The synthetic scene's person has two regions, one suppressed: its masks bar is half its regions'.
    person = figure["data"][0]["x"]
    assert person[2] == 100.0 and person[6] == 50.0


def test_variant_maps_link_every_panel_to_the_first_and_draw_each_final_map():
    base = make_result()
    strict = make_result(options=dataclasses.replace(default_options(), min_confidence=0.99))
    figure, assets = plot_variant_maps({"base": base, "strict": strict, "third": base}, make_palette(3))
    go.Figure(figure)
    layout = figure["layout"]
    assert [a["text"] for a in layout["annotations"]] == ["base", "strict", "third"]
    assert layout["xaxis2"]["matches"] == "x" and layout["yaxis3"]["matches"] == "y"
    assert "matches" not in layout["xaxis"]
    assert sorted(assets) == ["final_0", "final_1", "final_2", "photo"]
    assert assets["final_0"] == assets["final_2"] != assets["final_1"]
    layer = np.asarray(Image.open(io.BytesIO(assets["final_1"])).convert("RGBA"))
    # Sampled at each image pixel's centre, the layer shows that pixel's class in strict's final map.
    height, width = strict.final.labels.shape
    scale = layer.shape[0] / height
    ys, xs = np.mgrid[0:height, 0:width]
    shown = layer[((ys + 0.5) * scale).astype(int), ((xs + 0.5) * scale).astype(int), :3]
    palette = make_palette(3)
    expected = np.array([palette.colour(c) for c in range(3)], np.uint8)[strict.final.labels]
    np.testing.assert_array_equal(shown, expected)
    # Hover: every cell names each variant's class there, in variant order.
    hover = figure["data"][0]
    assert "base: %{customdata[0]}<br>strict: %{customdata[1]}" in hover["hovertemplate"]
    names = base.vocabulary.names
    cells = np.array(hover["customdata"], dtype=object)
    assert set(cells[..., 0].ravel()) <= set(names) and cells.shape[-1] == 3
