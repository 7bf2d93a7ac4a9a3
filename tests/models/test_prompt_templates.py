"""The prompt template sets: exact copies of open_clip's lists, importable without torch."""

import subprocess
import sys

import pytest
from open_clip.zero_shot_metadata import OPENAI_IMAGENET_TEMPLATES, SIMPLE_IMAGENET_TEMPLATES

from sitegen.errors import OptionsError
from sitegen.models.prompt_templates import PROMPT_TEMPLATES, get_prompt_templates


def test_imagenet80_equals_open_clip_openai_templates_in_order():
    expected = tuple(template("{}") for template in OPENAI_IMAGENET_TEMPLATES)
    assert len(PROMPT_TEMPLATES["imagenet80"]) == 80
    assert PROMPT_TEMPLATES["imagenet80"] == expected


def test_top7_equals_open_clip_simple_templates():
    expected = tuple(template("{}") for template in SIMPLE_IMAGENET_TEMPLATES)
    assert PROMPT_TEMPLATES["top7"] == expected
    assert set(PROMPT_TEMPLATES["top7"]) <= set(PROMPT_TEMPLATES["imagenet80"])


def test_single_template_and_formatting():
    assert get_prompt_templates("single") == ("a photo of a {}.",)
    assert get_prompt_templates("single")[0].format("red car") == "a photo of a red car."


def test_unknown_set_names_the_valid_ones():
    with pytest.raises(OptionsError) as caught:
        get_prompt_templates("imagenet81")
    message = str(caught.value)
    assert "imagenet81" in message
    assert all(name in message for name in ("imagenet80", "top7", "single"))


def test_templates_and_weights_identity_import_without_torch():
    code = (
        "import sys, sitegen.models.prompt_templates, sitegen.models.weights, sitegen.models.windows; "
        "sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
