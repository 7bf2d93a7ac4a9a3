"""ResultCache: what each key depends on, round trips, corrupt entries, per-query text embeddings."""

import dataclasses
import gzip
from pathlib import Path

import numpy as np
import pytest

from sitegen.errors import OutputError
from sitegen.options import ModelOptions, PipelineOptions
from sitegen.records import ClassSpec, DenseSimilarity, Vocabulary
from sitegen.site.cache import ResultCache, clip_identity, default_cache_dir, model_identity, source_fingerprint
from tests.synthetic import make_result

IMAGE = b"\x89PNG pretend image bytes"
VOCABULARY = Vocabulary((ClassSpec(0, "cat", ("cat", "kitten"), line=1), ClassSpec(1, "sky", ("sky",), line=3)))
MODELS = ModelOptions(random_weights=True)


def assert_same(a, b, where="result"):
    """Field by field equality of records, tuples, dicts and arrays (arrays: dtype and values)."""
    if dataclasses.is_dataclass(a):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b), where
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    else:
        assert a == b, where


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SITEGEN_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("SITEGEN_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "sitegen"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "sitegen"


def test_a_result_comes_back_equal_field_by_field(tmp_path):
    cache = ResultCache(tmp_path)
    result = make_result()
    key = cache.result_key(IMAGE, result.vocabulary, result.options, model_identity(result.models))
    assert cache.get_result(key) is None
    cache.put_result(key, result)
    assert_same(ResultCache(tmp_path).get_result(key), result)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{key}.pkl.gz"]  # no temporary files


def test_a_similarity_comes_back_equal(tmp_path):
    cache = ResultCache(tmp_path)
    similarity = DenseSimilarity(
        cosines=np.arange(24, dtype=np.float32).reshape(2, 4, 3) / 24,
        windows=np.array([[0, 0, 4, 2]], dtype=np.int32),
        resized_size=(4, 2),
    )
    key = cache.similarity_key(IMAGE, VOCABULARY.queries, PipelineOptions().dense_fields(), clip_identity(MODELS))
    cache.put_similarity(key, similarity)
    assert_same(cache.get_similarity(key), similarity)


def test_the_result_key_changes_with_every_input_that_changes_the_result(tmp_path):
    cache = ResultCache(tmp_path)
    base = cache.result_key(IMAGE, VOCABULARY, PipelineOptions(), model_identity(MODELS))
    assert cache.result_key(IMAGE, VOCABULARY, PipelineOptions(), model_identity(MODELS)) == base
    changed_options = {
        "short_side": 224, "window": 112, "stride": 56, "logit_scale": 50.0, "prompt_templates": "top7",
        "max_pixels": 5000, "min_confidence": 0.5, "min_region_size": 10, "points_per_cluster": 2,
        "negative_points_per_cluster": 1, "negative_confidence_threshold": 0.5, "iou_threshold": 0.5,
        "prompt_mode": "separate",
    }
    assert set(changed_options) == {f.name for f in dataclasses.fields(PipelineOptions)}
    keys = {base}
    for name, value in changed_options.items():
        keys.add(cache.result_key(IMAGE, VOCABULARY, PipelineOptions(**{name: value}), model_identity(MODELS)))
    keys.add(cache.result_key(IMAGE + b"!", VOCABULARY, PipelineOptions(), model_identity(MODELS)))
    keys.add(cache.result_key(IMAGE, Vocabulary(VOCABULARY.classes[:1]), PipelineOptions(), model_identity(MODELS)))
    renamed = Vocabulary((ClassSpec(0, "cat", ("cat", "kitty")), VOCABULARY.classes[1]))
    keys.add(cache.result_key(IMAGE, renamed, PipelineOptions(), model_identity(MODELS)))
    for models in [ModelOptions(random_weights=True, seed=1), ModelOptions(), ModelOptions(sam_model="facebook/sam2.1-hiera-small")]:
        keys.add(cache.result_key(IMAGE, VOCABULARY, PipelineOptions(), model_identity(models)))
    assert len(keys) == 1 + len(changed_options) + 1 + 2 + 3


def test_presentation_and_the_device_are_not_in_the_result_key(tmp_path):
    cache = ResultCache(tmp_path)
    moved = Vocabulary(tuple(dataclasses.replace(c, line=c.index + 10) for c in VOCABULARY.classes))
    assert cache.result_key(IMAGE, moved, PipelineOptions(), model_identity(ModelOptions(device="cpu"))) == (
        cache.result_key(IMAGE, VOCABULARY, PipelineOptions(), model_identity(ModelOptions(device="cuda")))
    )


def test_the_similarity_key_ignores_the_stages_after_clip_and_sam(tmp_path):
    cache = ResultCache(tmp_path)

    def key(options=PipelineOptions(), models=MODELS, queries=tuple(VOCABULARY.queries)):
        return cache.similarity_key(IMAGE, queries, options.dense_fields(), clip_identity(models))

    base = key()
    assert key(PipelineOptions(min_confidence=0.9, iou_threshold=0.1, prompt_mode="separate")) == base
    assert key(models=dataclasses.replace(MODELS, sam_model="facebook/sam2.1-hiera-large")) == base
    assert key(PipelineOptions(stride=56)) != base
    assert key(PipelineOptions(max_pixels=5000)) != base
    assert key(models=ModelOptions(random_weights=True, seed=3)) != base
    assert key(queries=("cat", "sky")) != base


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b""),
        lambda path: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2]),
        lambda path: path.write_bytes(b"not gzip at all"),
        lambda path: path.write_bytes(gzip.compress(b"not a pickle")),
        lambda path: path.write_bytes(gzip.compress(__import__("pickle").dumps({"a": "dict"}))),
    ],
    ids=["empty", "truncated", "not-gzip", "not-pickle", "wrong-type"],
)
def test_a_damaged_entry_is_a_miss_and_is_rewritten(tmp_path, damage):
    cache = ResultCache(tmp_path)
    result = make_result(height=12, width=16)
    cache.put_result("ab" * 32, result)
    (path,) = tmp_path.rglob("*.pkl.gz")
    damage(path)
    assert cache.get_result("ab" * 32) is None
    cache.put_result("ab" * 32, result)
    assert_same(cache.get_result("ab" * 32), result)


def test_refresh_ignores_entries_but_still_stores_new_ones(tmp_path):
    result = make_result(height=12, width=16)
    ResultCache(tmp_path).put_result("cd" * 32, result)
    forced = ResultCache(tmp_path, refresh=True)
    assert forced.get_result("cd" * 32) is None
    forced.put_result("ef" * 32, result)
    assert_same(ResultCache(tmp_path).get_result("ef" * 32), result)


class CountingEncoder:
    """A text tower stand-in: query -> a fixed vector derived from its characters; records calls."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def __call__(self, queries: list[str]) -> np.ndarray:
        self.calls.append(list(queries))
        return np.array([[len(q), ord(q[0]), ord(q[-1])] for q in queries], dtype=np.float32)


def test_text_embeddings_are_encoded_once_per_query(tmp_path):
    cache = ResultCache(tmp_path)
    identity = clip_identity(MODELS)
    encode = CountingEncoder()
    first = cache.text_embeddings(identity, ("a photo of a {}.",), ["cat", "sky"], encode)
    np.testing.assert_array_equal(first, [[3, 99, 116], [3, 115, 121]])
    assert first.dtype == np.float32
    again = cache.text_embeddings(identity, ("a photo of a {}.",), ["sky", "cat", "sky"], encode)
    np.testing.assert_array_equal(again, [[3, 115, 121], [3, 99, 116], [3, 115, 121]])
    grown = cache.text_embeddings(identity, ("a photo of a {}.",), ["cat", "sky", "grass"], encode)
    np.testing.assert_array_equal(grown[2], [5, 103, 115])
    assert encode.calls == [["cat", "sky"], ["grass"]]
    cache.text_embeddings(identity, ("itap of a {}.",), ["cat"], encode)
    cache.text_embeddings(clip_identity(ModelOptions(random_weights=True, seed=9)), ("a photo of a {}.",), ["cat"], encode)
    assert encode.calls[2:] == [["cat"], ["cat"]]


def test_an_unusable_cache_folder_is_one_clear_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="cannot create the cache folder .*--cache-dir"):
        ResultCache(Path(tmp_path / "file" / "cache"))


def test_the_figures_key_follows_the_result_and_what_the_figures_print_about_the_image(tmp_path):
    cache = ResultCache(tmp_path)
    image = make_result(height=12, width=16).image
    base = cache.figures_key("ab" * 32, image, False)
    assert cache.figures_key("ab" * 32, image, False) == base
    assert len({
        base,
        cache.figures_key("cd" * 32, image, False),
        cache.figures_key("ab" * 32, image, True),
        cache.figures_key("ab" * 32, dataclasses.replace(image, name="other.png"), False),
        cache.figures_key("ab" * 32, dataclasses.replace(image, warnings=("downscaled",)), False),
    }) == 5
    cache.put_figures(base, (["step"], None))
    assert cache.get_figures(base) == (["step"], None)


def test_the_source_fingerprint_follows_the_code_without_importing_it(tmp_path, monkeypatch):
    package = tmp_path / "fingerprinted"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('never imported')\n")
    (package / "stage.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    first = source_fingerprint("fingerprinted")
    assert source_fingerprint("fingerprinted") == first
    (package / "stage.py").write_text("VALUE = 2\n")
    second = source_fingerprint("fingerprinted")
    (package / "more.py").write_text("")
    assert len({first, second, source_fingerprint("fingerprinted")}) == 3


def test_a_result_key_follows_every_module_its_records_are_made_of():
    # A cached result unpickles into these classes: a changed mask store or score canvas must
    # miss, never load into the new code.
    import ast

    from sitegen.site.cache import ENTRY_CODE

    tree = ast.parse((Path(__file__).resolve().parents[2] / "sitegen" / "records.py").read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module.startswith("sitegen")
    }
    assert imported == {"sitegen.class_scores", "sitegen.masks", "sitegen.options"}
    assert imported <= set(ENTRY_CODE["result"]) and "sitegen.records" in ENTRY_CODE["result"]
