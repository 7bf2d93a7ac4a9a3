"""Fake models whose worker process dies (SIGKILL), or waits, on a chosen image, for the Ray tests.

``DyingModels(models, marker_dir, width, deaths)`` is ``FakeModels`` whose CLIP kills its own
process when asked for an image ``width`` pixels wide, the first ``deaths`` times across all
processes: each death first claims a marker file in ``marker_dir`` (created exclusively), so the
count holds over the workers of a cluster. Give it to a ``RayExecutor`` through
``functools.partial``, which Ray carries to the workers by value. ``WaitingModels(models, width,
signal_file)`` instead holds such an image until ``signal_file`` exists (two minutes at most).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.site.fake_models import FakeClip, FakeModels


class DyingClip(FakeClip):
    def __init__(self, marker_dir: Path, width: int, deaths: int):
        super().__init__()
        self.marker_dir = Path(marker_dir)
        self.width = width
        self.deaths = deaths

    def _claim_a_death(self) -> bool:
        for number in range(self.deaths):
            try:
                with open(self.marker_dir / f"death{number}", "x"):
                    return True
            except FileExistsError:
                continue
        return False

    def compute_similarity(self, rgb, *args, **kwargs):
        if rgb.shape[1] == self.width and self._claim_a_death():
            os.kill(os.getpid(), signal.SIGKILL)
        return super().compute_similarity(rgb, *args, **kwargs)


class DyingModels(FakeModels):
    def __init__(self, models, marker_dir: Path, width: int, deaths: int):
        super().__init__(models)
        self.dying = (marker_dir, width, deaths)

    @property
    def clip(self):
        if self._clip is None:
            self._clip = DyingClip(*self.dying)
            self.loads += 1
        return self._clip


class WaitingClip(FakeClip):
    def __init__(self, width: int, signal_file: Path):
        super().__init__()
        self.width = width
        self.signal_file = Path(signal_file)

    def compute_similarity(self, rgb, *args, **kwargs):
        if rgb.shape[1] == self.width:
            deadline = time.monotonic() + 120
            while not self.signal_file.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return super().compute_similarity(rgb, *args, **kwargs)


class WaitingModels(FakeModels):
    def __init__(self, models, width: int, signal_file: Path):
        super().__init__(models)
        self.waiting = (width, signal_file)

    @property
    def clip(self):
        if self._clip is None:
            self._clip = WaitingClip(*self.waiting)
            self.loads += 1
        return self._clip


def deaths(marker_dir: Path) -> int:
    """How many workers have died so far."""
    return len(list(Path(marker_dir).glob("death*")))
