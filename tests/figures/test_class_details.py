"""Per-class details and the small pictures of the site's index and class pages."""

from __future__ import annotations

import io
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from sitegen.figures import (
    make_palette,
    render_class_details,
    render_class_thumbnails,
    render_photo_thumbnail,
    render_thumbnail,
)
from sitegen.figures.canvas import BANNER_RED, banner_height
from sitegen.figures.thumbnails import MASK_ALPHA
from tests.synthetic import make_result


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def near(picture: np.ndarray, colour, tolerance: int = 24) -> np.ndarray:
    """(H, W) bool: pixels within ``tolerance`` of ``colour`` in every channel (JPEG is lossy)."""
    return np.all(np.abs(picture.astype(int) - np.array(colour)) <= tolerance, axis=2)


@pytest.mark.parametrize(
    "options", [{}, {"nothing_passes": True}, {"num_classes": 1}, {"height": 24, "width": 400}]
)
def test_every_class_gets_a_picture_figures_and_facts(options):
    result = make_result(**options)
    palette = make_palette(len(result.vocabulary))
    for c in range(len(result.vocabulary)):
        details = render_class_details(result, palette, c)
        picture = decode(details.png)
        assert picture.shape[1] <= 1600 and picture.std() > 20
        assert set(details.figures) == {"confidence", "prompts", "statistics"}
        for figure in details.figures.values():
            go.Figure(figure)
            for image in figure["layout"].get("images", []):
                assert image["source"].removeprefix("asset:") in details.assets
        assert details.class_index == c
        json.dumps(details.facts)


def test_the_confidence_figure_hovers_the_probability_at_each_cell_centre():
    result = make_result()
    height, width = result.image.height, result.image.width
    hover = render_class_details(result, make_palette(3), 1).figures["confidence"]["data"][0]
    cells = np.array(hover["customdata"])[..., 0]  # (R, K)
    rows, cols = cells.shape
    ys = [int((i + 0.5) * height / rows) for i in range(rows)]
    xs = [int((j + 0.5) * width / cols) for j in range(cols)]
    full = result.dense.scores.probabilities_at(np.arange(height), np.arange(width))[..., 1]
    np.testing.assert_allclose(cells, np.round(full[np.ix_(ys, xs)], 3), atol=1e-9)
    assert (hover["x0"], hover["dx"]) == (0.5 * width / cols, width / cols)
    assert (hover["y0"], hover["dy"]) == (0.5 * height / rows, height / rows)
    assert "p(grass) = %{customdata[0]:.3f}" in hover["hovertemplate"]  # class 1


def test_facts_count_the_class_through_the_stages():
    result = make_result()
    facts = render_class_details(result, make_palette(3), 1).facts
    assert facts["regions"] == 2 and facts["kept regions"] == 1 and facts["dropped regions"] == 1
    assert facts["passing pixels"] == int(result.thresholding.pixels_per_class[1])
    assert facts["positive points"] == 3 and facts["negative points"] == 2 and facts["prompts"] == 1


def test_statistics_figure_marks_the_thresholds_of_the_run():
    result = make_result()
    figure = render_class_details(result, make_palette(3), 0).figures["statistics"]
    lines = figure["layout"]["shapes"]
    assert lines[0]["x0"] == result.options.min_confidence
    assert lines[1]["y0"] == result.options.min_region_size


def test_thumbnails_are_small_webps_and_the_mask_an_overlay_of_the_class_alone():
    result = make_result(random_weights=False)
    palette = make_palette(3)
    thumbnails = render_class_thumbnails(result, palette, 2)
    assert set(thumbnails) == {"confidence", "mask"}
    assert Image.open(io.BytesIO(thumbnails["confidence"])).format == "WEBP"
    overlay_image = Image.open(io.BytesIO(thumbnails["mask"]))
    assert (overlay_image.format, overlay_image.mode) == ("PNG", "P")  # indexed, a few colours
    overlay = np.asarray(overlay_image.convert("RGBA"))
    photo = decode(render_photo_thumbnail(result))
    assert overlay.shape[:2] == photo.shape[:2] and max(photo.shape[:2]) <= 320
    # Exactly the class's final pixels are covered, at the thumbnail's size (nearest sample).
    shown = overlay[..., 3] > 0
    expected = np.asarray(Image.fromarray((result.final.labels == 2).astype(np.uint8) * 255).resize(
        (overlay.shape[1], overlay.shape[0]), Image.NEAREST)) > 0
    assert (shown != expected).mean() < 0.02
    assert (overlay[shown][:, :3] == palette.colour(2)).all()
    assert set(np.unique(overlay[shown][:, 3])) == {MASK_ALPHA, 255}  # the area, then its opaque outline
    overview_bytes = render_thumbnail(result, palette)
    assert Image.open(io.BytesIO(overview_bytes)).format == "WEBP"
    overview = decode(overview_bytes)
    assert max(overview.shape[:2]) <= 320 and overview.std() > 20
    with pytest.raises(IndexError):
        render_class_thumbnails(result, palette, 3)


def test_the_mask_overlay_lines_up_with_the_bannered_photo():
    result = make_result(random_weights=True)
    overlay = np.asarray(Image.open(io.BytesIO(render_class_thumbnails(result, make_palette(3), 2)["mask"])).convert("RGBA"))
    photo = decode(render_photo_thumbnail(result))
    assert overlay.shape[:2] == photo.shape[:2]
    assert near(photo[:6, :6], BANNER_RED).all()
    rows = banner_height(photo.shape[1], True)
    assert (overlay[:rows, :, 3] == 0).all() and (overlay[rows:, :, 3] > 0).any()


def test_thumbnails_of_random_weight_runs_carry_the_banner():
    result = make_result(random_weights=True)
    top = decode(render_thumbnail(result, make_palette(3)))[:6, :6]
    assert near(top, BANNER_RED).all()
