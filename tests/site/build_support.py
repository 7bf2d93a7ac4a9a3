"""What the build tests share: small test images, a build with the fake models, site snapshots."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from PIL import Image

from sitegen.pipeline.run import ComputedImage
from sitegen.site.build import BUILD_LOG, build_site
from sitegen.site.build_report import RUN_SECTION, BuildReport
from sitegen.site.output import JOURNAL, LOCK, MANIFEST
from tests.site.fake_models import MODELS, OPTIONS, VOCABULARY, FakeModels

#: Pure colours the fake CLIP recognises: red, green and blue regions, on a black background.
RGB = {"red": (230, 20, 20), "green": (20, 230, 20), "blue": (20, 20, 230)}


def colour_blocks(height: int = 48, width: int = 64, order: tuple[str, ...] = ("red", "green", "blue")) -> np.ndarray:
    """(H, W, 3) uint8: vertical bands in the given colour order, 2 px of black between them."""
    rgb = np.zeros((height, width, 3), dtype=np.uint8)
    band = width // len(order)
    for i, colour in enumerate(order):
        rgb[2:-2, i * band + 1 : (i + 1) * band - 1] = RGB[colour]
    return rgb


def write_good_images(folder: Path, count: int = 3) -> list[Path]:
    """``count`` distinct PNGs (``img0.png`` ...), each with red, green and blue bands."""
    orders = [("red", "green", "blue"), ("blue", "red", "green"), ("green", "blue", "red"), ("red", "blue")]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"img{i}.png"
        Image.fromarray(colour_blocks(48, 64 + 4 * i, orders[i % len(orders)])).save(path)
        paths.append(path)
    return paths


def build(images: Path, out: Path, cache: Path, *, options=OPTIONS, vocabulary=VOCABULARY, **kwargs) -> tuple[BuildReport, FakeModels]:
    """One build with fresh fake models (so their counters are this build's)."""
    models = FakeModels(MODELS)
    report = build_site(images, vocabulary, options, MODELS, out, cache_dir=cache, quiet=True, lazy_models=models, **kwargs)
    return report, models


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` (relative posix path -> bytes)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def site_part(log: bytes) -> list[str]:
    """The lines of build-log.txt that describe the site: all before RUN_SECTION but ``started:``."""
    lines = log.decode("utf-8").split("\n")
    return [line for line in lines[: lines.index(RUN_SECTION)] if not line.startswith("started: ")]


def comparable(files: dict[str, bytes]) -> dict[str, object]:
    """A finished site as two builds of the same inputs must agree on it.

    Byte for byte, except the build log (compared on its site part) and the manifest (compared
    without the build log's checksum). The lock and the journal must be gone.
    """
    assert LOCK not in files and JOURNAL not in files, "a finished build leaves no lock and no journal"
    result: dict[str, object] = dict(files)
    result[BUILD_LOG] = site_part(files[BUILD_LOG])
    manifest = json.loads(files[MANIFEST])
    del manifest["files"][BUILD_LOG]
    result[MANIFEST] = manifest
    return result


def without_timings(computed: ComputedImage) -> object:
    """The outcome as plain values (arrays as dtype, shape and bytes), minus the stage timings."""
    return plain(dataclasses.replace(computed, result=dataclasses.replace(computed.result, timings={})))


def plain(value: object) -> object:
    """Nested dataclasses, containers and arrays as tuples, dicts and bytes, for ``==``."""
    if dataclasses.is_dataclass(value):
        return (type(value).__name__, {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)})
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(plain(item) for item in value)
    return value
