"""A 150-class vocabulary (ADE20K's) on one small photo, built as a reader would (random weights).

Per-image cost must follow the classes the image needs, not the vocabulary: the per-class maps of
steps 4 and 5 and the per-class details exist only for the classes ``shown_classes`` picks (at
most 24), and the image's folder stays within a size bound.
"""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from sitegen.cli import app
from sitegen.figures.shown_classes import LIMIT, choose_classes
from sitegen.site.slugs import slugify

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: Bytes the image's folder may hold (measured 4.6 MB with --per-class-details: 3.3 MB of
#: lossless step PNGs, 1.1 MB of figures.js). Before per-class pictures followed the image, the
#: per-class details alone were 150 PNGs.
FOLDER_BOUND = 8_000_000


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("vocabulary")
    (root / "images").mkdir()
    photo = Image.open(EXAMPLES / "images" / "chelsea_cat.png").convert("RGB").resize((160, 106))
    photo.save(root / "images" / "cat.png")
    result = CliRunner().invoke(app, [
        "build", str(root / "images"), "--vocab-file", str(EXAMPLES / "vocab_ade20k.txt"),
        "--out", str(root / "site"), "--cache-dir", str(root / "cache"), "--random-weights",
        "--prompt-templates", "single", "--min-confidence", "0", "--min-region-size", "300",
        "--per-class-details", "--quiet",
    ])
    assert result.exit_code == 0, result.output
    return root / "site"


def test_per_class_assets_exist_only_for_the_classes_the_image_needs(site):
    folder = site / "images" / "cat-png"
    data = np.load(folder / "data" / "probabilities.npz")
    names = [str(n) for n in data["class_names"]]
    assert len(names) == 150
    shown = choose_classes(np.bincount(data["prediction"].ravel(), minlength=150), data["probabilities"].max(axis=(0, 1)) / 255)
    assert 0 < len(shown.indices) <= LIMIT
    details = sorted(p.name for p in (folder / "per_class").iterdir())
    assert details == sorted(f"class_{c}_{slugify(names[c])}.png" for c in shown.indices)
    for prefix in ("similarity", "confidence"):
        assets = {p.name.split("-")[0] for p in (folder / "assets").glob(f"{prefix}_*")}
        assert assets == {f"{prefix}_{c}" for c in shown.indices}, prefix


def test_the_image_folder_stays_within_its_bound(site):
    folder = site / "images" / "cat-png"
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"150 classes, 160x106 image: {total / 1e6:.2f} MB in {folder.name}")
    assert total < FOLDER_BOUND
    # The grid of step 4 draws at most LIMIT maps: a class's map costs about as much as a small vocabulary's.
    assert (folder / "steps" / "04_similarity.png").stat().st_size < 600_000
