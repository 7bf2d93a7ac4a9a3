"""SAM 2 batched point prompts against one call per prompt on a random-weight SAM 2 model."""

import importlib.metadata
import inspect

import numpy as np
import pytest
import torch

from sitegen.errors import ImageError, SitegenError
from sitegen.models.sam import SAM2_PRIVATE_CALLS, load_sam
from sitegen.options import ModelOptions

HEIGHT, WIDTH = 96, 128


def _image() -> np.ndarray:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    square = (np.abs(x - 80) < 20) & (np.abs(y - 40) < 25)
    rgb = np.stack([2 * x, 2 * y, 200 * square], axis=-1)
    return rgb.clip(0, 255).astype(np.uint8)


def collect(batches, count):
    """The batches of ``predict`` put together: (P, 3, H, W) bool masks and (P, 3) scores."""
    masks, scores, seen = np.zeros((count, 3, HEIGHT, WIDTH), bool), np.zeros((count, 3), np.float32), []
    for indices, batch_masks, batch_scores in batches:
        assert batch_masks.dtype == bool and batch_scores.dtype == np.float32
        masks[indices], scores[indices] = batch_masks, batch_scores
        seen += list(indices)
    assert sorted(seen) == list(range(count))  # every prompt answered once
    return masks, scores


@pytest.fixture(scope="module")
def sam():
    predictor = load_sam(ModelOptions(random_weights=True, seed=0), "cpu")
    predictor.set_image(_image())
    return predictor


# Prompts of 1, 2 and 3 points, interleaved so that the batches regroup them.
PROMPTS = [
    (np.array([[80, 40]], np.float32), np.array([1], np.int32)),
    (np.array([[10, 10], [80, 40]], np.float32), np.array([0, 1], np.int32)),
    (np.array([[30, 70], [100, 20], [5, 90]], np.float32), np.array([1, 1, 0], np.int32)),
    (np.array([[120.5, 90.25]], np.float32), np.array([1], np.int32)),
    (np.array([[60, 30], [64, 50]], np.float32), np.array([1, 1], np.int32)),
    (np.array([[0, 0]], np.float32), np.array([1], np.int32)),
]


def private_api_changes(predictor_class: type) -> list[str]:
    """What differs between ``predictor_class`` and the private SAM 2 methods sitegen calls."""
    changes = []
    for name, expected in SAM2_PRIVATE_CALLS.items():
        method = getattr(predictor_class, name, None)
        if method is None:
            changes.append(f"{name} is gone")
            continue
        found = tuple(inspect.signature(method).parameters)[1 : len(expected) + 1]  # after self
        if found != expected:
            changes.append(f"{name}{found} instead of {name}{expected}")
    return changes


def test_the_private_sam2_methods_sitegen_calls_keep_their_signatures():
    from sam2.sam2_image_predictor import SAM2ImagePredictor

    changes = private_api_changes(SAM2ImagePredictor)
    assert not changes, (
        f"sam2 {importlib.metadata.version('sam2')} changed the private predictor API that "
        f"sitegen.models.sam.SamPredictor._decode calls: {'; '.join(changes)}. Adapt _decode and "
        "SAM2_PRIVATE_CALLS, or keep pyproject.toml's sam2 bound to the tested releases."
    )


def test_a_reshaped_private_api_is_noticed():
    class Renamed:
        def _prep_prompts(self, coords, labels, box, mask_logits, normalize_coords):
            pass

    assert private_api_changes(Renamed) == [
        "_prep_prompts('coords', 'labels', 'box', 'mask_logits', 'normalize_coords') instead of "
        "_prep_prompts('point_coords', 'point_labels', 'box', 'mask_logits', 'normalize_coords')",
        "_predict is gone",
    ]


def test_batched_prompts_equal_one_call_per_prompt(sam):
    points = [p for p, _ in PROMPTS]
    labels = [l for _, l in PROMPTS]
    batches_before, embeds_before = sam.prompt_batches, sam.embed_count
    batches = sam.predict(points, labels, batch_size=2)
    assert sam.prompt_batches == batches_before  # decoded only as the batches are read
    masks, scores = collect(batches, 6)
    # 1-point prompts: 3 -> 2 batches; 2-point: 2 -> 1; 3-point: 1 -> 1.
    assert sam.prompt_batches - batches_before == 4
    assert sam.embed_count == embeds_before  # the embedding is reused
    assert masks.shape == (6, 3, HEIGHT, WIDTH) and masks[:].dtype == bool
    assert scores.shape == (6, 3) and scores.dtype == np.float32
    for index, (prompt_points, prompt_labels) in enumerate(PROMPTS):
        with torch.inference_mode():
            expected_masks, expected_scores, _ = sam._predictor.predict(
                prompt_points, prompt_labels, multimask_output=True
            )
        assert np.array_equal(masks[index], expected_masks.astype(bool)), index
        assert np.abs(scores[index] - expected_scores).max() < 1e-5, index
    assert masks[:].any() and not masks[:].all()  # real masks, not a constant


def test_cpu_decodes_two_prompts_per_call_by_default(sam):
    # Small batches keep the decoder's per-prompt copies of the image tokens in cache on a CPU.
    from sitegen.models.sam import GPU_PROMPT_BATCH

    points, labels = [p for p, _ in PROMPTS], [l for _, l in PROMPTS]

    def calls(**batch) -> int:
        before = sam.prompt_batches
        collect(sam.predict(points, labels, **batch), 6)
        return sam.prompt_batches - before

    assert calls() == 4  # three 1-point prompts: 2 calls, two 2-point: 1, one 3-point: 1
    assert calls(batch_size=GPU_PROMPT_BATCH) == 3  # one call per point count
    masks, _ = collect(sam.predict(points, labels), 6)
    assert np.array_equal(masks, collect(sam.predict(points, labels, batch_size=6), 6)[0])


def test_no_prompts_gives_no_batches(sam):
    before = sam.prompt_batches
    assert list(sam.predict([], [])) == [] and sam.prompt_batches == before


def test_large_images_send_fewer_prompts_per_call_with_the_same_masks(sam, monkeypatch):
    from sitegen.models import sam as sam_module

    points, labels = [p for p, _ in PROMPTS], [l for _, l in PROMPTS]
    masks, scores = collect(sam.predict(points, labels, batch_size=32), 6)
    # Room for two prompts' float32 logits at this image size: 1-point prompts go 2 + 1.
    monkeypatch.setattr(sam_module, "MAX_UPSAMPLE_BYTES", 2 * 3 * HEIGHT * WIDTH * 4)
    before = sam.prompt_batches
    bounded_masks, bounded_scores = collect(sam.predict(points, labels, batch_size=32), 6)
    assert sam.prompt_batches - before == 4  # 1-point: 2 calls, 2-point: 1, 3-point: 1
    assert np.array_equal(bounded_masks, masks)
    assert sam.batch_bytes(HEIGHT, WIDTH) == sam_module.MAX_UPSAMPLE_BYTES // 4 * 5
    assert np.abs(bounded_scores - scores).max() < 1e-5


def test_malformed_prompts_are_refused(sam):
    with pytest.raises(SitegenError, match="label arrays"):
        sam.predict([np.zeros((1, 2), np.float32)], [])
    with pytest.raises(SitegenError, match="prompt 0"):
        sam.predict([np.zeros((0, 2), np.float32)], [np.zeros((0,), np.int32)])
    with pytest.raises(SitegenError, match="prompt 0"):
        sam.predict([np.zeros((2, 2), np.float32)], [np.zeros((3,), np.int32)])


def test_predict_needs_an_image():
    predictor = load_sam(ModelOptions(random_weights=True, seed=0), "cpu")
    prompt = ([np.array([[5, 5]], np.float32)], [np.array([1], np.int32)])
    with pytest.raises(SitegenError, match="call set_image"):
        predictor.predict(*prompt)
    with pytest.raises(ImageError):
        predictor.set_image(np.zeros((8, 8), np.uint8))
    predictor.set_image(np.zeros((16, 24, 3), np.uint8))
    assert predictor.embed_count == 1
    [(indices, masks, scores)] = predictor.predict(*prompt)
    assert indices == [0] and masks.shape == (1, 3, 16, 24) and scores.shape == (1, 3)


def test_seed_makes_random_sam_reproducible_and_leaves_global_rng_alone(sam):
    state = torch.random.get_rng_state()
    again = load_sam(ModelOptions(random_weights=True, seed=0), "cpu")
    other = load_sam(ModelOptions(random_weights=True, seed=3), "cpu")
    assert torch.equal(torch.random.get_rng_state(), state)
    reference = sam._predictor.model.state_dict()

    def same_weights(predictor):
        weights = predictor._predictor.model.state_dict()
        return all(torch.equal(value, reference[key]) for key, value in weights.items())

    assert same_weights(again)
    assert not same_weights(other)
    assert not again._predictor.model.training
