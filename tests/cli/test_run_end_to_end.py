"""`sitegen run --random-weights` on an example image: data files, 18 PNGs and the viewer.

The run happens once per module with the real (untrained) CLIP and SAM 2 models; the viewer
is then opened from file:// in headless Chromium, as a reader would open it.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from sitegen.cli import app
from sitegen.figures import STEPS
from tests.site.test_browser import _visible_step

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    result = CliRunner().invoke(app, [
        "run", "--image", str(EXAMPLES / "images" / "chelsea_cat.png"),
        "--vocabulary", "cat", "grass", "wall", "--output", str(out), "--random-weights",
        "--prompt-templates", "single", "--min-confidence", "0", "--points-per-cluster", "2",
        "--negative-points-per-cluster", "1", "--negative-confidence-threshold", "0", "--quiet",
        "--per-class-details",
    ])
    assert result.exit_code == 0, result.output
    return out


def test_data_files_follow_their_schemas(out):
    probabilities = np.load(out / "data" / "confidences.npy")
    assert probabilities.shape == (300, 451, 3) and probabilities.dtype == np.float32
    assert probabilities.min() >= 0 and probabilities.max() <= 1

    stats = json.loads((out / "data" / "statistics.json").read_text())
    assert stats["random_weights"] is True
    assert stats["image"] == {
        "name": "chelsea_cat.png", "width": 451, "height": 300,
        "original_width": 451, "original_height": 300, "warnings": [],
    }
    assert stats["parameters"]["min_confidence"] == 0
    assert stats["parameters"]["points_per_cluster"] == 2
    assert stats["models"]["clip_model"] == "ViT-B-16-quickgelu"
    assert stats["prompt_templates"] == {"set": "single", "count": 1, "templates": ["a photo of a {}."]}
    assert stats["sclip"] == {"resized_width": 505, "resized_height": 336, "windows": 8}
    assert [c["name"] for c in stats["classes"]] == ["cat", "grass", "wall"]
    assert {"clip_windows", "components", "sam_prompting", "final_segmentation"} <= set(stats["timings_seconds"])
    # With min_confidence 0 every pixel passes: the passing pixels are the whole image.
    assert stats["totals"]["passing_pixels"] == 300 * 451
    assert sum(c["final_pixels"] for c in stats["classes"]) == 300 * 451

    prompts = json.loads((out / "data" / "prompts.json").read_text())
    assert prompts["image"] == "chelsea_cat.png" and prompts["prompt_mode"] == "joint"
    assert len(prompts["prompts"]) == stats["totals"]["prompts"] == stats["totals"]["regions_kept"] > 0
    for region in prompts["regions"]:
        assert region["size"] >= 100
        assert 1 <= len(region["positive"]) <= 2
        x0, y0, x1, y1 = region["bbox"]
        for x, y in region["positive"]:
            assert x0 <= x < x1 and y0 <= y < y1
        assert len(region["negative"]) == len(region["negative_classes"]) <= 1
    for prompt in prompts["prompts"]:
        assert len(prompt["scores"]) == 3
        assert prompt["best_score"] == max(prompt["scores"])
        assert prompt["kept"] == (prompt["suppressed_by"] is None)


def test_eighteen_step_pngs_and_per_class_views(out):
    names = sorted(p.name for p in (out / "steps").iterdir())
    assert names == [f"{step.slug}.png" for step in STEPS]
    assert len(names) == 18
    for name in names:
        with Image.open(out / "steps" / name) as png:
            png.load()
            assert png.width >= 256 and png.height >= 100
            assert np.asarray(png.convert("L")).std() > 5, name
    assert sorted(p.name for p in (out / "per_class").iterdir()) == [
        "class_0_cat.png", "class_1_grass.png", "class_2_wall.png",
    ]


@pytest.mark.browser
def test_viewer_shows_every_step_and_arrow_keys_move(visit, out):
    opened = visit(out, "index.html")
    page = opened.page
    for number in range(1, 19):
        assert _visible_step(page) == [number]
        page.wait_for_selector(f"#step-{number} .plot[data-drawn] .main-svg")
        page.keyboard.press("ArrowRight")
    assert _visible_step(page) == [18]
    page.keyboard.press("ArrowLeft")
    assert _visible_step(page) == [17]
    opened.assert_clean()
