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
from sitegen.figures.shown_classes import LIMIT
from sitegen.site.slugs import slugify

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: Bytes the image's folder may hold (measured 10.3 MB with --per-class-details, most of it the
#: 24 per-class detail PNGs and the lossless step PNGs). With a detail PNG for each of the 150
#: classes, as before per-class pictures followed the image, it would pass 40 MB.
FOLDER_BOUND = 14_000_000


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
        "--per-class-details", "--paper-figures", "--quiet",
    ])
    assert result.exit_code == 0, result.output
    return root / "site"


def test_per_class_assets_exist_only_for_the_classes_the_image_needs(site):
    folder = site / "images" / "cat-png"
    data = np.load(folder / "data" / "probabilities.npz")
    names = [str(n) for n in data["class_names"]]
    assert len(names) == 150
    slugs = {f"class_{c}_{slugify(name)}.png": c for c, name in enumerate(names)}
    detailed = {slugs[p.name] for p in (folder / "per_class").iterdir()}
    assert 0 < len(detailed) <= LIMIT
    for prefix in ("similarity", "confidence"):
        assets = {int(p.name.split("-")[0].removeprefix(f"{prefix}_")) for p in (folder / "assets").glob(f"{prefix}_*")}
        assert assets == detailed, prefix
    # The download keeps the probability planes of those classes, and says which they are.
    assert data["class_indices"].tolist() == sorted(detailed)
    assert data["probabilities"].shape[0] == len(detailed)
    # The rule: present classes by argmax pixels first, so no class left out has more pixels than
    # a present class that was drawn.
    pixels = np.bincount(data["prediction"].ravel(), minlength=150)
    drawn_present = [c for c in detailed if pixels[c] > 0]
    left_out = [c for c in range(150) if c not in detailed]
    assert drawn_present and max(pixels[left_out]) <= min(pixels[drawn_present])
    if len(drawn_present) == LIMIT:  # as many present classes as fit: no absent class is drawn
        assert len(detailed) == LIMIT


def test_the_image_folder_stays_within_its_bound(site):
    folder = site / "images" / "cat-png"
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"150 classes, 160x106 image: {total / 1e6:.2f} MB in {folder.name}")
    assert total < FOLDER_BOUND
    # The grid of step 4 draws at most LIMIT maps: a class's map costs about as much as a small vocabulary's.
    assert (folder / "steps" / "04_similarity.png").stat().st_size < 1_500_000
