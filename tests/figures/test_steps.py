"""Every step renders for every kind of run: PNGs decode and are not blank, figures are valid
Plotly, stay light and reference only the assets they ship."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from sitegen.figures import STEPS, make_palette, render_step, render_steps
from sitegen.figures.canvas import BANNER_HEIGHT, BANNER_RED, MAX_WIDTH, WHITE
from sitegen.figures.hover import HOVER_LONG_SIDE
from sitegen.figures.picture_assets import PHOTO_ASSET
from tests.synthetic import make_result

SPEC_FILES = [
    "01_raw_image", "02_text_prompts", "03_sclip_patches", "04_similarity", "05_confidence_maps",
    "06_dense_prediction", "07_prediction_confidences", "08_thresholding", "09_connected_components",
    "10_size_filter", "11_positive_prompts", "12_negative_prompts", "13_sam_prompting",
    "14_sam_candidates", "15_mask_selection", "16_overlap_resolution", "17_final_segmentation",
    "18_comparison_grid",
]  # fmt: skip
SCENARIOS = {
    "normal": {},
    "nothing_passes": {"nothing_passes": True},
    "one_class": {"num_classes": 1},
    "thirty_classes": {"num_classes": 30},
    "one_pixel_region": {"one_pixel_region": True},
    "very_wide": {"height": 24, "width": 400},
}
FIGURE_LIMIT = 300_000


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.fixture(scope="module", params=list(SCENARIOS))
def rendered(request):
    result = make_result(**SCENARIOS[request.param])
    return result, render_steps(result, make_palette(len(result.vocabulary)))


def test_registry_matches_the_spec_files():
    assert [s.slug for s in STEPS] == SPEC_FILES
    assert [s.number for s in STEPS] == list(range(1, 19))


def test_pngs_decode_fit_and_are_not_blank(rendered):
    result, steps = rendered
    assert [s.step.slug for s in steps] == SPEC_FILES
    for step in steps:
        picture = decode(step.png)
        height, width, _ = picture.shape
        assert 500 <= width <= MAX_WIDTH, step.step.slug
        assert 250 <= height <= 4000, step.step.slug
        assert picture.std() > 20, step.step.slug


def test_figures_are_valid_plotly_and_light(rendered):
    _, steps = rendered
    for step in steps:
        go.Figure(step.figure)  # raises on anything Plotly does not know
        assert len(json.dumps(step.figure)) < FIGURE_LIMIT, step.step.slug


def test_figures_hold_no_pixel_arrays(rendered):
    """Heatmaps are hover grids (at most 64 cells a side); pictures are layout images."""
    _, steps = rendered
    for step in steps:
        for trace in step.figure["data"]:
            assert trace["type"] != "image", step.step.slug
            if trace["type"] == "heatmap":
                z = trace["z"]
                shape = [int(n) for n in z["shape"].split(",")] if isinstance(z, dict) else np.shape(z)
                assert max(shape) <= HOVER_LONG_SIDE, step.step.slug


def test_figures_reference_only_shipped_assets_photos_lossy_layers_lossless(rendered):
    _, steps = rendered
    for step in steps:
        sources = [image["source"] for image in step.figure["layout"].get("images", [])]
        assert all(s.startswith("asset:") for s in sources), step.step.slug
        assert {s.removeprefix("asset:") for s in sources} <= set(step.assets), step.step.slug
        for name, data in step.assets.items():
            if name == PHOTO_ASSET:  # a photograph: lossy WebP
                assert data[:4] == b"RIFF" and data[8:12] == b"WEBP", step.step.slug
            else:  # label maps, masks, heat maps: lossless PNG
                assert data.startswith(b"\x89PNG"), (step.step.slug, name)


def test_descriptions_and_facts_are_filled(rendered):
    result, steps = rendered
    for step in steps:
        paragraphs = step.description.split("\n\n")
        assert all(p.strip() for p in paragraphs) and len(step.description) > 40, step.step.slug
        # No f-string left unformatted ({name}; a prompt template's "{}" is text) and no missing value.
        assert not re.search(r"\{\w+[^}]*\}|\bnan\b|\bNone\b", step.description), (step.step.slug, step.description)
        assert step.facts and all(
            type(v) in (str, int, float) for v in step.facts.values()  # not numpy scalars: JSON and templates
        ), (step.step.slug, step.facts)
    if result.candidates.prompts:  # (without regions, the later steps rightly all say that)
        assert len({step.description for step in steps}) == len(steps)  # every step explains itself


def test_random_weights_banner_is_on_every_png_and_only_then():
    random = make_result(random_weights=True)
    trained = make_result(random_weights=False)
    for step in STEPS[::4]:
        top = decode(render_step(step, random, make_palette(3)).png)[: BANNER_HEIGHT // 2]
        assert np.all(top[:, :8] == BANNER_RED), step.slug
        assert np.mean(np.all(top == BANNER_RED, axis=2)) > 0.8, step.slug
        clean = decode(render_step(step, trained, make_palette(3)).png)[: BANNER_HEIGHT // 2]
        assert np.all(clean == WHITE), step.slug


def test_steps_without_prompts_say_why_on_the_picture():
    result = make_result(nothing_passes=True)
    palette = make_palette(3)
    for step in STEPS[10:16]:
        rendered = render_step(step, result, palette)
        assert "no regions passed" in rendered.description.lower()
        assert "min_confidence 0.3" in rendered.description


def test_tiny_images_are_enlarged_and_wide_images_capped():
    tiny = decode(render_step(STEPS[0], make_result(), make_palette(3)).png)
    assert tiny.shape[0] > 48 * 5 + 150  # the 48 px photo shown at least 5x, plus banner and title
    wide = decode(render_step(STEPS[2], make_result(height=24, width=400), make_palette(3)).png)
    assert wide.shape[1] == MAX_WIDTH


def test_a_short_palette_is_refused():
    with pytest.raises(ValueError, match="make_palette"):
        render_step(STEPS[5], make_result(num_classes=4), make_palette(3))


def test_each_step_module_is_named_by_its_step():
    import importlib

    from sitegen.figures import STEPS

    for number, step in enumerate(STEPS, start=1):
        module = importlib.import_module(f"sitegen.figures.step{step.slug}")
        assert module.STEP == step and step.number == number


def test_threads_draw_the_same_steps_as_one_thread(monkeypatch):
    # Two threads share remember_last's values; a large image draws in the calling thread.
    from sitegen.figures import steps as steps_module

    result, palette = make_result(), make_palette(3)
    threaded = render_steps(result, palette)
    monkeypatch.setattr(steps_module, "SERIAL_PIXELS", 0)
    serial = render_steps(make_result(), palette)
    assert [s.step for s in threaded] == list(STEPS)
    for a, b in zip(threaded, serial, strict=True):
        assert a == b, a.step.slug
