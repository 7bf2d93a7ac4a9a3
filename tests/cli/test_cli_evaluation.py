"""The evaluation flags of `sitegen build`: checked before any model loads, errors in one line."""

from pathlib import Path

from typer.testing import CliRunner

from sitegen.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def build(tmp_path, *flags):
    return runner.invoke(
        app,
        ["build", str(EXAMPLES / "images"), "--vocab-file", str(EXAMPLES / "vocab.txt"), "--out", str(tmp_path / "site"),
         "--cache-dir", str(tmp_path / "cache"), "--random-weights", "-q", *map(str, flags)],
    )  # fmt: skip


def no_models(monkeypatch):
    import sitegen.pipeline.run as run_module

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(run_module.LazyModels, "clip", property(refuse))


def test_mapping_flags_need_a_ground_truth_folder(tmp_path, monkeypatch):
    no_models(monkeypatch)
    result = build(tmp_path, "--ignore-index", "0")
    assert result.exit_code == 1
    assert result.output.strip() == "error: --gt-labels and --ignore-index need --ground-truth DIR"
    assert not (tmp_path / "site").exists()


def test_a_bad_gt_labels_file_stops_before_any_model_with_one_line(tmp_path, monkeypatch):
    no_models(monkeypatch)
    labels = tmp_path / "labels.txt"
    labels.write_text("0 person\n1 astronaut\n", encoding="utf-8")  # a synonym, not a class name
    result = build(tmp_path, "--ground-truth", EXAMPLES / "ground_truth", "--gt-labels", labels)
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.startswith("error: ") and "\n" not in message
    assert f"{labels} line 2: 'astronaut' is not a vocabulary class" in message
    assert not (tmp_path / "site").exists()


def test_ignore_index_out_of_range_is_refused(tmp_path):
    result = build(tmp_path, "--ground-truth", EXAMPLES / "ground_truth", "--ignore-index", "70000")
    assert result.exit_code == 2 and "--ignore-index" in result.output
