"""Variants of one image share the CLIP forward and the SAM embedding, and compute what separate runs compute."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np

from sitegen.config import Variant
from sitegen.models.prompt_templates import get_prompt_templates
from sitegen.pipeline.run import compute_similarity, run_image
from sitegen.pipeline.variants import EmbeddedOnce, run_variants
from sitegen.records import LoadedImage
from tests.site.build_support import colour_blocks
from tests.site.fake_models import MODELS, OPTIONS, VOCABULARY, FakeModels, FakeSam

IMAGE = LoadedImage("blocks.png", colour_blocks(48, 64), (64, 48))
VARIANTS = (
    Variant("base", OPTIONS, is_base=True),
    Variant("strict", dataclasses.replace(OPTIONS, min_confidence=0.6, min_region_size=5), {"min-confidence": 0.6}),
    Variant("separate", dataclasses.replace(OPTIONS, prompt_mode="separate", points_per_cluster=3), {"prompt-mode": "separate"}),
)


def compute(variants, models):
    """``run_variants`` with the image as is and CLIP run by the models (no cache)."""
    loads = []

    def load(options):
        loads.append(options.max_pixels)
        return IMAGE

    def similarity(image, options, timings):
        text = models.clip.encode_queries(VOCABULARY.queries, get_prompt_templates(options.prompt_templates))
        return compute_similarity(models, image, text, options)

    return run_variants(variants, VOCABULARY, models, load, similarity), loads


def alone(options):
    """One run of ``run_image`` with fresh models: what a build with only these options computes."""
    models = FakeModels(MODELS)
    text = models.clip.encode_queries(VOCABULARY.queries, get_prompt_templates(options.prompt_templates))
    return run_image(IMAGE, VOCABULARY, models, options, get_prompt_templates(options.prompt_templates), text)


def same(a, b) -> bool:
    return pickle.dumps(dataclasses.replace(a, timings={})) == pickle.dumps(dataclasses.replace(b, timings={}))


def test_three_variants_cost_the_model_work_of_one_and_each_equals_its_own_run():
    one = FakeModels(MODELS)
    compute(VARIANTS[:1], one)
    three = FakeModels(MODELS)
    results, loads = compute(VARIANTS, three)
    assert one.counters()["clip_forwards"] == three.counters()["clip_forwards"] == 1
    assert one.counters()["sam_embeds"] == three.counters()["sam_embeds"] == 1
    assert loads == [OPTIONS.max_pixels]
    assert list(results) == ["base", "strict", "separate"]
    # The variants differ (else the test would prove little) and each is what it computes alone.
    prompts = [len(r.candidates.prompts) for r in results.values()]
    assert prompts[2] == 3 * prompts[0] > 0
    passing = [int(r.thresholding.passing.sum()) for r in results.values()]
    assert passing[0] == passing[2] > passing[1] > 0
    for variant in VARIANTS:
        assert same(results[variant.name], alone(variant.options)), variant.name


def test_variants_with_other_sclip_options_get_their_own_forward_but_share_the_embedding():
    coarse = Variant("coarse", dataclasses.replace(OPTIONS, short_side=24, window=16, stride=16), {"short-side": 24})
    models = FakeModels(MODELS)
    results, loads = compute((*VARIANTS, coarse), models)
    assert models.counters()["clip_forwards"] == 2 and models.counters()["sam_embeds"] == 1
    assert len(loads) == 2
    assert same(results["coarse"], alone(coarse.options))


def test_embedded_once_embeds_again_only_for_another_image():
    sam = FakeSam()
    once = EmbeddedOnce(sam)
    first = colour_blocks(8, 8)
    once.set_image(first)
    once.set_image(first)
    once.set_image(first.copy())  # equal pixels, another array
    assert sam.embed_count == 1
    other = first.copy()
    other[0, 0] = 1
    once.set_image(other)
    once.set_image(first)
    assert sam.embed_count == 3
    [(indices, masks, scores)] = once.predict([np.array([[2.0, 2.0]], np.float32)], [np.array([1], np.int32)])
    assert indices == [0] and masks.shape == (1, 3, 8, 8) and scores.shape == (1, 3)
    assert once.batch_bytes(8, 8) == sam.batch_bytes(8, 8)
