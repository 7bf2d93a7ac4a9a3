"""Test doubles of the two models, fast and deterministic, for the build tests (and their subprocesses).

What the build tests check is caching, resuming and safety, not segmentation quality, so CLIP and
SAM 2 are replaced by plain numpy with the same methods and counters:

* ``FakeClip``: a query's text embedding is its colour (``red``, ``green``, ``blue``, ``white``;
  other words get a fixed vector from their hash); a pixel's cosine with a query is the cosine
  of its RGB vector with that colour. One call of ``compute_similarity`` counts one forward.
* ``FakeSam``: the candidates of a prompt are three squares of growing size centred on its
  first point, with fixed scores.

``FakeModels`` is the real ``LazyModels`` with these two loaded in place of the real ones, so its
``loads`` and ``counters()`` are the real bookkeeping. Setting ``SITEGEN_FAKE_CLIP_DELAY`` (seconds)
slows every forward, so a test can kill a build while it works.

``child_main`` is the entry point of a build run in a subprocess by the kill-and-resume tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

from sitegen.models.windows import resized_size, sliding_windows
from sitegen.options import ModelOptions, PipelineOptions
from sitegen.pipeline.run import LazyModels
from sitegen.records import ClassSpec, DenseSimilarity, Vocabulary

COLOURS = {"red": (1.0, 0.0, 0.0), "green": (0.0, 1.0, 0.0), "blue": (0.0, 0.0, 1.0), "white": (1.0, 1.0, 1.0)}
VOCABULARY = Vocabulary(
    (ClassSpec(0, "red", ("red", "crimson")), ClassSpec(1, "green", ("green",)), ClassSpec(2, "blue", ("blue",)))
)
#: Small windows so tiny test images still have a few; the dense options match them.
OPTIONS = PipelineOptions(short_side=32, window=16, stride=8, prompt_templates="single", min_region_size=20)
MODELS = ModelOptions(random_weights=True)
SAM_SCORES = np.array([0.5, 0.9, 0.7], dtype=np.float32)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-6)


def query_colour(query: str) -> np.ndarray:
    """(3,) float32 unit vector standing for the query's text embedding."""
    if query in COLOURS:
        return _unit(np.array(COLOURS[query], dtype=np.float32))
    if query == "crimson":
        return _unit(np.array([0.9, 0.1, 0.2], dtype=np.float32))
    digest = hashlib.sha256(query.encode()).digest()
    return _unit(np.frombuffer(digest[:3], dtype=np.uint8).astype(np.float32) + 1.0)


class FakeClip:
    identity = {"fake": "clip"}

    def __init__(self):
        self.forward_count = 0
        self.text_count = 0
        self.encoded: list[str] = []

    def encode_queries(self, queries, prompt_templates) -> np.ndarray:
        self.text_count += len(queries)
        self.encoded.extend(queries)
        return np.stack([query_colour(q) for q in queries]).astype(np.float32)

    def compute_similarity(self, rgb, text_embeddings, short_side, window, stride) -> DenseSimilarity:
        self.forward_count += 1
        time.sleep(float(os.environ.get("SITEGEN_FAKE_CLIP_DELAY", "0")))
        pixels = _unit(rgb.astype(np.float32) + 1.0)
        cosines = np.einsum("hwc,qc->hwq", pixels, text_embeddings).astype(np.float32)
        size = resized_size(rgb.shape[1], rgb.shape[0], short_side)
        return DenseSimilarity(cosines=cosines, windows=sliding_windows(*size, window, stride), resized_size=size)


class FakeSam:
    identity = {"fake": "sam"}

    def __init__(self):
        self.embed_count = 0
        self._shape: tuple[int, int] | None = None

    def set_image(self, rgb: np.ndarray) -> None:
        self.embed_count += 1
        self._shape = rgb.shape[:2]

    def batch_bytes(self, height: int, width: int) -> int:
        return 3 * height * width

    def predict(self, points, labels):
        """One batch per prompt: squares of half-side 2, 4 and 6 px around its first point."""
        height, width = self._shape
        ys, xs = np.mgrid[0:height, 0:width]
        for p, prompt_points in enumerate(points):
            x, y = prompt_points[0]
            masks = np.stack([(abs(xs - x) <= half) & (abs(ys - y) <= half) for half in (2, 4, 6)])
            yield [p], masks[None], SAM_SCORES[None]


class FakeModels(LazyModels):
    """``LazyModels`` whose models are the fakes above (loaded on first use, counted as loads).

    A subclass may set ``clip_type`` to another CLIP stand-in.
    """

    clip_type = FakeClip

    @property
    def clip(self):
        if self._clip is None:
            self._clip = self.clip_type()
            self.loads += 1
        return self._clip

    @property
    def sam(self):
        if self._sam is None:
            self._sam = FakeSam()
            self.loads += 1
        return self._sam


def child_main() -> None:
    """``python -c 'from tests.site.fake_models import child_main; child_main()' IMAGES OUT CACHE [K]``.

    Builds the site with the fake models. With K, the process kills itself with SIGKILL (or
    SIGINT when ``SITEGEN_FAKE_SIGNAL=INT``) as the K-th file write begins; K may be ``finish``
    to die after the stale files are removed but before the manifest is written, or ``replace``
    to die between a temporary file and its rename. The report goes to stdout as JSON.
    """
    import sitegen.site.output as output
    from sitegen.site.build import build_site

    images, out, cache = (Path(arg) for arg in sys.argv[1:4])
    point = sys.argv[4] if len(sys.argv) > 4 else None
    die = signal.SIGINT if os.environ.get("SITEGEN_FAKE_SIGNAL") == "INT" else signal.SIGKILL
    if die == signal.SIGINT:
        # Ctrl-C as in a terminal: a test run started in the background of a script inherits
        # SIGINT ignored, and Python then installs no KeyboardInterrupt handler of its own.
        signal.signal(signal.SIGINT, signal.default_int_handler)

    if point == "finish":
        original_atomic = output.write_atomically

        def dying_atomic(path, data):
            if path.name == output.MANIFEST:
                os.kill(os.getpid(), die)
            original_atomic(path, data)

        output.write_atomically = dying_atomic
    elif point == "replace":
        original_replace = os.replace

        def dying_replace(source, target):
            if Path(target).name == "index.html":
                os.kill(os.getpid(), die)
            original_replace(source, target)

        output.os.replace = dying_replace
    elif point is not None:
        original_write = output.OutputFolder.write
        calls = []

        def dying_write(self, relpath, data):
            calls.append(relpath)
            if len(calls) == int(point):
                os.kill(os.getpid(), die)
            return original_write(self, relpath, data)

        output.OutputFolder.write = dying_write

    report = build_site(images, VOCABULARY, OPTIONS, MODELS, out, cache_dir=cache, quiet=True, lazy_models=FakeModels(MODELS))
    print(json.dumps({"built": report.built, "cached": report.cached, "failed": len(report.failed)}))
