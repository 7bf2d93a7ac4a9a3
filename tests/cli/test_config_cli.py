"""``sitegen build --config``: variants reach the build; a bad file stops it before any model loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import sitegen.models.clip
import sitegen.models.sam
import sitegen.site.build
from sitegen.cli import app
from sitegen.options import PipelineOptions

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def build_args(tmp_path, config):
    return ["build", str(EXAMPLES / "images"), "--vocab-file", str(EXAMPLES / "vocab.txt"), "--out", str(tmp_path / "site"),
            "--cache-dir", str(tmp_path / "cache"), "--random-weights", "--min-confidence", "0.4", "--config", str(config)]


@pytest.fixture
def no_models(monkeypatch):
    """Loading either model fails the test: a config error must stop the build before."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(sitegen.models.clip, "load_clip", refuse)
    monkeypatch.setattr(sitegen.models.sam, "load_sam", refuse)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[variants.low]\nmin-confidance = 0.2\n", "[variants.low] unknown option 'min-confidance'"),
        ("[variants.low]\nmin-confidence = \"low\"\n", "[variants.low] min-confidence: must be a number, got a string 'low'"),
        ("[variants.base]\npoints-per-cluster = 3\n", "[variants.base] uses the name of variant 'base'"),
        ("[variants.big]\nsam-model = \"facebook/sam2.1-hiera-large\"\n", "[variants.big] sam-model: a model option is the same for every variant"),
        ("[[variants]]\n", "'variants' must be tables [variants.NAME], got an array"),
    ],
)
def test_a_bad_config_is_one_line_before_any_model_loads(tmp_path, no_models, text, message):
    config = tmp_path / "sitegen.toml"
    config.write_text(text, encoding="utf-8")
    result = runner.invoke(app, build_args(tmp_path, config))
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {config}: {message}")
    assert result.output.count("\n") == 1 and result.output.endswith("\n")
    assert not (tmp_path / "site").exists()


def test_the_variants_reach_the_build_with_the_flags_as_their_base(tmp_path, monkeypatch):
    seen = {}

    def capture(images, vocabulary, options, models, out, **kwargs):
        seen["options"], seen["variants"] = options, kwargs["variants"]
        raise sitegen.site.build.SitegenError("stop here")

    monkeypatch.setattr(sitegen.site.build, "build_site", capture)
    result = runner.invoke(app, build_args(tmp_path, EXAMPLES / "sitegen.toml"))
    assert result.exit_code == 1 and result.output == "error: stop here\n"
    assert seen["options"] == PipelineOptions(min_confidence=0.4)
    assert [(v.name, v.options.min_confidence) for v in seen["variants"]] == [
        ("default", 0.4), ("low-threshold", 0.2), ("original", 0.4)
    ]
    assert seen["variants"][2].options.prompt_mode == "separate"
