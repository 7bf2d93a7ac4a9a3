"""``--config``: variants read from TOML, and every mistake as one line naming file, variant, key."""

from __future__ import annotations

import pytest

from sitegen.config import BASE_NAME, ConfigError, read_config, single_variant
from sitegen.options import PipelineOptions

BASE = PipelineOptions(min_confidence=0.4, points_per_cluster=2)


def read(tmp_path, text: str):
    path = tmp_path / "sitegen.toml"
    path.write_text(text, encoding="utf-8")
    return read_config(path, BASE)


def error(tmp_path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        read(tmp_path, text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(tmp_path / "sitegen.toml") + ": ")
    return message


def test_variants_start_from_the_command_line_and_change_only_their_keys(tmp_path):
    variants = read(
        tmp_path,
        """
[variants.low]
min-confidence = 0.2

[variants.separate]
prompt-mode = "separate"
points-per-cluster = 3
iou-threshold = 1
""",
    )
    assert [v.name for v in variants] == [BASE_NAME, "low", "separate"]
    assert [v.is_base for v in variants] == [True, False, False]
    assert variants[0].options == BASE and variants[0].changes == {}
    assert variants[1].options == PipelineOptions(min_confidence=0.2, points_per_cluster=2)
    assert variants[1].changes == {"min-confidence": 0.2}
    # An integer stands for a float option and becomes a float.
    assert variants[2].options == PipelineOptions(
        min_confidence=0.4, points_per_cluster=3, prompt_mode="separate", iou_threshold=1.0
    )
    assert isinstance(variants[2].options.iou_threshold, float)


def test_the_file_may_name_the_base_variant_and_sclip_options_may_differ(tmp_path):
    variants = read(tmp_path, 'base = "reference"\n[variants.coarse]\nshort-side = 224\nprompt-templates = "top7"\n')
    assert [v.name for v in variants] == ["reference", "coarse"]
    assert variants[1].options.dense_fields() == {**BASE.dense_fields(), "short_side": 224, "prompt_templates": "top7"}


def test_a_file_without_variants_is_the_base_alone(tmp_path):
    assert read(tmp_path, "# nothing yet\n") == single_variant(BASE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("colour = 1\n", "unknown key 'colour' at the top level"),
        ("[variants.low]\nmin_confidence = 0.2\n", "[variants.low] unknown option 'min_confidence'; variants take: short-side"),
        ("[variants.low]\nmin-confidence = \"0.2\"\n", "[variants.low] min-confidence: must be a number, got a string '0.2'"),
        ("[variants.low]\nmin-region-size = 10.5\n", "[variants.low] min-region-size: must be an integer, got a number 10.5"),
        ("[variants.low]\npoints-per-cluster = true\n", "[variants.low] points-per-cluster: must be an integer, got a boolean True"),
        ("[variants.low]\nmin-confidence = 1.5\n", "[variants.low] min-confidence: must be between 0 and 1, got 1.5"),
        ("[variants.sep]\nprompt-mode = \"both\"\n", "[variants.sep] prompt-mode: must be one of joint, separate, got 'both'"),
        ("[variants.big]\nclip-model = \"ViT-L-14\"\n", "[variants.big] clip-model: a model option is the same for every variant"),
        ("[variants.big]\nmax-pixels = 100000\n", "[variants.big] max-pixels: decides how every image is decoded, the same for every variant"),
        ("[variants.base]\nmin-confidence = 0.2\n", "[variants.base] uses the name of variant 'base'"),
        ("[variants.Low]\n[variants.low]\n", "[variants.low] uses the name of variant 'Low' (names must differ, ignoring case)"),
        ("[variants.a]\n[variants.a]\n", "not valid TOML: Cannot declare ('variants', 'a') twice"),
        ("[variants.\"low threshold\"]\n", "variant name 'low threshold' must be 1 to 40 letters, digits"),
        ("[variants.low-]\n", "variant name 'low-' must be 1 to 40 letters, digits, '-' or '_', starting and ending"),
        ("base = 3\n", "'base' must be a string (the base variant's name), got an integer"),
        ("variants = 3\n", "'variants' must be tables [variants.NAME], got an integer"),
        ("[variants]\nlow = 0.2\n", "variants.low must be a table [variants.low] of options, got a number"),
        ("[variants.low\n", "not valid TOML"),
    ],
)
def test_every_mistake_is_one_line_naming_the_file_the_variant_and_the_key(tmp_path, text, expected):
    assert expected in error(tmp_path, text)


def test_a_missing_or_binary_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"nowhere\.toml: cannot read the config file"):
        read_config(tmp_path / "nowhere.toml", BASE)
    (tmp_path / "sitegen.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not a text file"):
        read_config(tmp_path / "sitegen.toml", BASE)
