"""The command line: option parsing, errors as one line, and `sitegen run` end to end."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sitegen.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def invoke(*args: str, **kwargs):
    return runner.invoke(app, [str(a) for a in args], **kwargs)


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output.strip().startswith("sitegen 0.")


def test_vocabulary_takes_several_values_after_one_flag_and_repeated_flags(tmp_path, monkeypatch):
    import sitegen.site.single_run as single_run

    seen = {}

    def capture(image, vocabulary, options, models, output, **kwargs):
        seen["names"], seen["output"] = vocabulary.names, output
        return []

    monkeypatch.setattr(single_run, "write_single_run", capture)
    result = invoke(
        "run", "--image", EXAMPLES / "images" / "coffee.png", "--vocabulary", "Lionel Messi", "grass",
        "--output", tmp_path / "o", "--vocabulary", "crowd", "--min-confidence", "0.5",
    )
    assert result.exit_code == 0, result.output
    assert seen == {"names": ["Lionel Messi", "grass", "crowd"], "output": tmp_path / "o"}


def test_bad_option_value_is_one_line_naming_the_flag(tmp_path):
    result = invoke(
        "run", "--image", EXAMPLES / "images" / "coffee.png", "--vocabulary", "cup",
        "--output", tmp_path / "out", "--min-confidence", "1.5",
    )
    assert result.exit_code == 1
    assert result.output.strip() == "error: --min-confidence: must be between 0 and 1, got 1.5"
    assert not (tmp_path / "out").exists()


def test_vocabulary_error_stops_before_models_and_names_the_line(tmp_path, monkeypatch):
    import sitegen.pipeline.run as run_module

    def no_models(*args, **kwargs):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(run_module.LazyModels, "clip", property(no_models))
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("cat\n# comment\ndog\nCat\n", encoding="utf-8")
    result = invoke(
        "run", "--image", EXAMPLES / "images" / "coffee.png", "--vocab-file", vocab,
        "--output", tmp_path / "out", "--random-weights",
    )
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.startswith("error: ") and "\n" not in message
    assert "line 4" in message and "line 1" in message


@pytest.mark.parametrize("command", ["run", "build"])
def test_missing_weights_offline_is_one_clear_message(tmp_path, command):
    # A fresh process: huggingface_hub reads HF_HOME and HF_HUB_OFFLINE when it is imported.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "COLUMNS": "200"}
    where = (
        ["run", "--image", str(EXAMPLES / "images" / "coffee.png"), "--output", str(tmp_path / "out")]
        if command == "run"
        else ["build", str(EXAMPLES / "images"), "--out", str(tmp_path / "out"), "--quiet"]
    )
    completed = subprocess.run(
        [sys.executable, "-m", "sitegen", *where, "--vocabulary", "cup", "plate", "--prompt-templates", "single"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 1
    message = completed.stderr.strip()
    assert "Traceback" not in message and len(message.splitlines()) == 1, message
    assert message.startswith("error: CLIP weights ViT-B-16-quickgelu")
    assert "--random-weights" in message and "--clip-pretrained PATH" in message
    assert str(tmp_path / "hf") in message
    assert not (tmp_path / "out" / "index.html").exists()


def test_a_bad_image_is_one_line_naming_it_and_no_output_folder_appears(tmp_path):
    truncated = tmp_path / "broken.png"
    truncated.write_bytes((EXAMPLES / "images" / "coffee.png").read_bytes()[:2000])
    result = invoke(
        "run", "--image", truncated, "--vocabulary", "cup", "--output", tmp_path / "out", "--random-weights",
    )
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.startswith(f"error: {truncated}: cannot decode the image") and "\n" not in message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("vocabulary", [[], ["--vocabulary", "cup", "--vocab-file", str(EXAMPLES / "vocab.txt")]])
def test_neither_or_both_vocabulary_flags_are_one_line_before_any_work(tmp_path, vocabulary):
    result = invoke("build", EXAMPLES / "images", "--out", tmp_path / "site", *vocabulary)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: give the classes with exactly one of --vocabulary or --vocab-file"
    ]
    assert not (tmp_path / "site").exists()
