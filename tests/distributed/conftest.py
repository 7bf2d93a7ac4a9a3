"""What the tests of ``sitegen.distributed`` share: ``sitegen build`` on the command line, fake models."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import sitegen.pipeline.run as run_module
from sitegen.cli import app
from tests.site.build_support import write_good_images
from tests.site.fake_models import FakeModels

#: The flags that give the CLI what the fake models' build uses (tests/site/fake_models.py).
FAKE_FLAGS = ["--short-side", "32", "--window", "16", "--stride", "8", "--prompt-templates", "single",
              "--min-region-size", "20", "--random-weights", "--quiet"]
SCHEDULER_VARIABLES = ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "JOB_COMPLETION_INDEX")


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """``cli(*flags, env=...)``: ``sitegen build`` of three images in this process, fake models,
    scheduler variables cleared; the site goes to ``tmp_path / "site"``."""
    monkeypatch.setattr(run_module, "LazyModels", FakeModels)
    for name in SCHEDULER_VARIABLES + ("SITEGEN_CACHE_DIR",):
        monkeypatch.delenv(name, raising=False)
    images = tmp_path / "images"
    write_good_images(images, 3)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("red, crimson\ngreen\nblue\n")

    def invoke(*args: str, env: dict | None = None):
        command = ["build", str(images), "--vocab-file", str(vocab), "--out", str(tmp_path / "site"), *FAKE_FLAGS, *args]
        return CliRunner().invoke(app, command, env=env)

    return invoke
