"""The drawing and Plotly kits on tiny hand-made arrays."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
import plotly.graph_objects as go
import plotly.io as pio
from PIL import Image

from sitegen.figures.canvas import BANNER_RED, INK, ColourBar, Panel, _row_spans, compose, text_width, wrap_text
from sitegen.figures.hover import HOVER_LONG_SIDE, HOVER_VALUE_BUDGET, hover_grid, labelled_cells
from sitegen.figures.memo import remember_last
from sitegen.figures.outlines import _block_counts, mask_path
from sitegen.figures.overlay import VIRIDIS, Frame, blend, colourise, display_scale, heatmap, outline, paint
from sitegen.figures.palette import make_palette
from sitegen.figures.picture_assets import encode_indexed
from sitegen.figures.plotly_json import figure_json, relayout, separate_stacked_images
from sitegen.figures.plotly_layout import NO_TEMPLATE
from sitegen.figures.wording import count, listed, percent, span


def test_colourise_uses_palette_and_background():
    labels = np.array([[0, 1], [-1, 2]])
    out = colourise(labels, make_palette(3), background=(9, 9, 9))
    assert out[0, 0].tolist() == [230, 159, 0]
    assert out[0, 1].tolist() == [86, 180, 233]
    assert out[1, 0].tolist() == [9, 9, 9]
    assert out[1, 1].tolist() == [0, 158, 115]


def test_blend_with_per_pixel_alpha():
    base = np.zeros((1, 2, 3), np.uint8)
    top = np.full((1, 2, 3), 200, np.uint8)
    assert blend(base, top, np.array([[0.0, 0.25]])).tolist() == [[[0, 0, 0], [50, 50, 50]]]


def test_paint_blends_the_mask_pixels_like_blend():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    mask = rng.random((20, 30)) < 0.4
    mask[:3] = False  # the bounding box does not start at the top
    painted = paint(image, mask, (200, 10, 90), 0.45)
    expected = np.where(mask[..., None], blend(image, np.array([[[200, 10, 90]]], np.uint8), 0.45), image)
    assert np.array_equal(painted, expected)
    assert np.array_equal(paint(image, mask, (1, 2, 3))[mask], np.tile([1, 2, 3], (mask.sum(), 1)))


def test_outline_is_the_ring_of_a_square():
    mask = np.zeros((6, 6), bool)
    mask[1:5, 1:5] = True
    ring = outline(mask)
    assert ring.sum() == 12
    assert not ring[2:4, 2:4].any()


def test_heatmap_ends_are_viridis_ends():
    out = heatmap(np.array([[0.0, 0.5, 1.0, 2.0]]), 0.0, 1.0)
    assert out[0, 0].tolist() == [0x44, 0x01, 0x54]
    assert out[0, 2].tolist() == [0xFD, 0xE7, 0x25] == out[0, 3].tolist()
    assert out[0, 1].tolist() == VIRIDIS[128].tolist()


def test_display_scale_enlarges_small_images_by_whole_factors_and_shrinks_big_ones():
    assert display_scale(48, 64, 1552, 720) == 6.0
    assert display_scale(24, 400, 1552, 720) == 3.0
    assert display_scale(3000, 4000, 1552, 720) == 720 / 3000


def test_frame_sample_is_nearest_neighbour():
    array = np.arange(6).reshape(2, 3)
    frame = Frame((2, 3), (4, 6))
    assert np.array_equal(frame.sample(array), np.repeat(np.repeat(array, 2, axis=0), 2, axis=1))
    shrink = Frame((4, 6), (2, 3)).sample(np.arange(24).reshape(4, 6))
    assert shrink.tolist() == [[7, 9, 11], [19, 21, 23]]  # the pixel under each cell centre
    assert Frame((2, 3), (4, 6)).points(np.array([[0, 0], [2, 1]])).tolist() == [[1.0, 1.0], [5.0, 3.0]]


def _path_points(path: str) -> np.ndarray:
    return np.array([[float(a), float(b)] for a, b in re.findall(r"(-?[\d.]+),(-?[\d.]+)", path)])


def test_mask_path_spans_the_mask_and_keeps_holes():
    mask = np.zeros((6, 8), bool)
    mask[1:5, 2:7] = True
    points = _path_points(mask_path(mask))
    assert points[:, 0].min() == 2 and points[:, 0].max() == 7
    assert points[:, 1].min() == 1 and points[:, 1].max() == 5
    mask[2:4, 4] = False
    assert mask_path(mask).count("M") == 2
    assert mask_path(np.zeros((3, 3), bool)) == ""


def test_mask_path_of_a_single_pixel_is_a_diamond_around_it():
    mask = np.zeros((5, 5), bool)
    mask[2, 3] = True
    assert mask_path(mask) == "M3.5,2L4,2.5L3.5,3L3,2.5L3.5,2Z"


@pytest.mark.parametrize(("shape", "step"), [((512, 512), 2), ((37, 53), 5), ((7, 3), 4), ((9, 9), 1)])
def test_block_counts_equal_sums_over_a_padded_mask(shape, step):
    mask = np.random.default_rng(step).random(shape) < 0.4
    padded = np.zeros((-(-shape[0] // step) * step, -(-shape[1] // step) * step), int)
    padded[: shape[0], : shape[1]] = mask
    expected = padded.reshape(padded.shape[0] // step, step, padded.shape[1] // step, step).sum(axis=(1, 3))
    np.testing.assert_array_equal(_block_counts(mask, step), expected)


def test_mask_path_coarsens_big_masks_but_keeps_their_extent():
    mask = np.zeros((1000, 1000), bool)
    mask[100:900, 200:600] = True
    path = mask_path(mask, max_side=100)
    points = _path_points(path)
    assert points[:, 0].min() == 200 and points[:, 0].max() == 600
    assert len(path) < 200


def test_hover_grid_respects_the_budgets():
    grid = hover_grid(480, 640, 5)
    rows, cols = grid.cells
    assert cols <= HOVER_LONG_SIDE and rows * cols * 5 <= HOVER_VALUE_BUDGET
    assert hover_grid(48, 64, 1).cells == (48, 64)
    assert hover_grid(1, 1, 30).cells == (1, 1)


def test_compact_labels_get_one_hover_area_each():
    grid = hover_grid(40, 40, 1)
    cells = np.zeros((40, 40), int)
    cells[2:7, 30:35] = 1
    cells[20:22, 3] = 2
    traces = labelled_cells(grid, cells, {1: "one", 2: "two"})
    assert [t["hovertemplate"] for t in traces] == ["one<extra></extra>", "two<extra></extra>"]
    assert (traces[0]["x0"], traces[0]["y0"]) == (30.5, 2.5)
    assert np.asarray(traces[0]["z"]).shape == (5, 5) and np.asarray(traces[1]["z"]).shape == (2, 1)
    assert not traces[0]["hoverongaps"]


def test_scattered_labels_share_one_grid_with_a_text_per_cell():
    grid = hover_grid(40, 40, 1)
    cells = np.random.default_rng(0).integers(0, 10, (40, 40))
    texts = {k: f"class {k}" for k in range(1, 10)}
    (trace,) = labelled_cells(
        grid, cells, texts, values=np.full((40, 40, 1), 0.25), value_template=" %{customdata[0]}"
    )
    assert trace["hovertemplate"] == "%{customdata[1]} %{customdata[0]}<extra></extra>"
    assert list(trace["customdata"][3][4]) == [0.25, texts.get(cells[3, 4], "")]
    assert np.isnan(np.asarray(trace["z"])[cells == 0]).all()


def test_a_compact_label_keeps_its_own_area_while_scattered_ones_share_a_grid_around_them():
    grid = hover_grid(40, 40, 1)
    cells = np.zeros((40, 40), int)
    cells[25:35, 25:35] = 1  # compact
    cells[2:12, 4:16] = np.random.default_rng(1).integers(2, 6, (10, 12))  # scattered, top left
    texts = {k: f"label number {k}" for k in range(1, 6)}
    own, shared = labelled_cells(grid, cells, texts, groups={1: "one"})
    assert own["hovertemplate"] == "label number 1<extra></extra>" and own["legendgroup"] == "one"
    assert (own["x0"], own["y0"]) == (25.5, 25.5) and np.asarray(own["z"]).shape == (10, 10)
    assert (shared["x0"], shared["y0"]) == (4.5, 2.5) and np.asarray(shared["z"]).shape == (10, 12)
    assert shared["hovertemplate"] == "%{customdata[0]}<extra></extra>"
    assert list(shared["customdata"][3][5]) == [texts[cells[5, 9]]]


def test_encode_indexed_is_lossless_and_palette_based():
    rgba = np.zeros((5, 7, 4), np.uint8)
    rgba[1:3, 2:5] = (230, 159, 0, 200)
    image = Image.open(io.BytesIO(encode_indexed(rgba)))
    assert image.mode == "P"
    assert np.array_equal(np.asarray(image.convert("RGBA")), rgba)


def test_wrap_text_fits_and_keeps_every_word():
    text = "a long sentence that must wrap across several lines of a narrow panel"
    lines = wrap_text(text, 15, 120)
    assert len(lines) > 2
    assert all(text_width(line, 15) <= 120 for line in lines)
    assert " ".join(lines) == text


def _pixels(picture: np.ndarray, colour, tolerance: int = 40) -> np.ndarray:
    return np.all(np.abs(picture.astype(int) - np.array(colour)) <= tolerance, axis=2)


def test_a_mark_near_the_end_of_a_colour_bar_is_labelled_above_it_clear_of_the_end_values():
    bar = ColourBar("probability", 0.0, 1.0, VIRIDIS, ((0.02, "min_confidence 0.02"),))
    panel = Panel(np.full((40, 300, 3), 255, np.uint8))
    picture = np.asarray(Image.open(io.BytesIO(compose("t", [panel], random_weights=False, colour_bar=bar))))
    ramp_rows = np.nonzero(_pixels(picture, VIRIDIS[255], 10).any(axis=1))[0]
    red = _pixels(picture, BANNER_RED)
    tick_columns = np.nonzero(red[ramp_rows].any(axis=0))[0]  # the marker line crosses the ramp
    assert 0 < len(tick_columns) <= 4
    label = red.copy()
    label[:, tick_columns.min() - 1 : tick_columns.max() + 2] = False
    label_rows, label_cols = np.nonzero(label)
    assert label_rows.max() < ramp_rows.min()  # the label sits above the ramp
    assert label_cols.min() >= 24  # inside the figure's margin, not cut off at the left edge
    ink_rows = np.nonzero(_pixels(picture[:, :60], INK, 30).any(axis=1))[0]
    assert ink_rows[ink_rows > ramp_rows.min()].min() > ramp_rows.max()  # the "0" is below the ramp


def test_row_spans_restart_after_a_break():
    assert _row_spans(11, 3, (8,)) == [(0, 3), (3, 6), (6, 8), (8, 11)]
    assert _row_spans(4, 4, ()) == [(0, 4)]


def test_wording():
    assert count(1, "region") == "1 region" and count(1200, "class", "classes") == "1,200 classes"
    assert percent(1, 3) == "33.3 %" and percent(1, 0) == "0 %"
    assert listed([1, 2, 3], 2) == "1, 2 and 1 more"
    assert span([3, 3]) == "3" and span([1, 4, 2]) == "1 to 4"


def test_stacked_layout_images_are_nudged_apart():
    photo = {"xref": "x", "x": 0, "sizex": 64, "yref": "y", "y": 0, "sizey": 48, "source": "asset:photo"}
    layers = separate_stacked_images(
        [photo, {**photo, "source": "asset:a"}, {**photo, "xref": "x2"}, {**photo, "source": "asset:b"}]
    )
    assert [image["x"] for image in layers] == [0, -0.001, 0, -0.002]


def test_figure_json_writes_what_plotly_writes():
    """Typed arrays (64-bit integers narrowed, NaN kept in float32), numpy scalars, the empty template."""
    rng = np.random.default_rng(0)
    z = rng.random((3, 4)).astype(np.float32)
    z[0, 1] = np.nan
    data = [
        {"type": "heatmap", "z": z, "x0": np.float32(0.5), "dx": np.int64(2), "customdata": [[1, "a"]]},
        {"type": "heatmap", "z": np.zeros((2, 2), np.uint8), "zmax": np.float64(1.5)},
        {"type": "heatmap", "z": np.arange(6).reshape(2, 3) * 1000},
        {"type": "scatter", "x": np.array([1.5, np.nan]), "y": [None, 2.0], "marker": {"color": "#ff0000"}},
    ]
    layout = {"template": NO_TEMPLATE, "title": {"text": "<b>a/b</b>"}, "xaxis": {"range": [0, np.int64(7)]}}
    ours = figure_json({"data": data, "layout": layout})
    plotly_layout = {**layout, "template": go.layout.Template()}
    expected = json.loads(pio.to_json(go.Figure({"data": data, "layout": plotly_layout})))
    assert json.dumps(ours, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert ours["data"][2]["z"]["dtype"] == "i2"


def test_relayout_sets_attribute_strings_like_plotly_js():
    layout = {"shapes": [{"line": {"width": 2}}], "xaxis": {"range": [0, 9]}}
    changes = {"shapes[0].line.color": "red", "xaxis.range": [1, 2], "annotations": [], "yaxis.title.text": "y"}
    relayout(layout, changes)
    assert layout == {
        "shapes": [{"line": {"width": 2, "color": "red"}}],
        "xaxis": {"range": [1, 2]},
        "annotations": [],
        "yaxis": {"title": {"text": "y"}},
    }


def test_remember_last_computes_once_per_key_and_arguments():
    calls = []

    @remember_last
    def total(array, scale=1):
        calls.append(scale)
        return float(array.sum()) * scale

    first, second = np.ones(3), np.ones(3)
    assert [total(first), total(first), total(first, 2), total(first)] == [3.0, 3.0, 6.0, 3.0]
    assert calls == [1, 2]
    assert total(second) == 3.0 and calls == [1, 2, 1]  # an equal but new array is a new key
    assert total(first) == 3.0 and calls == [1, 2, 1, 1]  # only the last key is remembered


def test_union_of_selected_masks_equals_any_over_them():
    from sitegen.figures.overlay import union

    rng = np.random.default_rng(4)
    masks = rng.random((5, 6, 7)) < 0.2
    assert np.array_equal(union(masks, [0, 3, 4]), masks[[0, 3, 4]].any(axis=0))
    assert not union(masks, []).any() and union(masks, []).shape == (6, 7)
