"""SCLIP dense prediction against plainly written references on one random-weight CLIP model.

The references below use only the open_clip model's weights, torch primitives and open_clip's
own blocks for the unmodified layers: a per-window, per-head loop written from the SCLIP paper
and reference code, independent of ``sitegen.models.clip``.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD

from sitegen.errors import ImageError, OptionsError, SitegenError
from sitegen.models.clip import load_clip
from sitegen.models.prompt_templates import get_prompt_templates
from sitegen.options import ModelOptions
from sitegen.pipeline.dense_prediction import predict_dense

LOGIT_SCALE = 40.0


@pytest.fixture(scope="module")
def dense_clip():
    return load_clip(ModelOptions(random_weights=True, seed=0), "cpu")


def _test_image(height: int, width: int) -> np.ndarray:
    """A smooth, structured RGB image (gradients, a disc and stripes), so windows differ."""
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    disc = ((x - 0.6) ** 2 + (y - 0.4) ** 2 < 0.05).astype(float)
    stripes = 0.5 + 0.5 * np.sin(25 * x + 10 * y)
    rgb = np.stack([0.8 * x + 0.2 * disc, 0.6 * stripes, 0.9 * y * (1 - disc)], axis=-1)
    return (255 * rgb).round().astype(np.uint8)


def _reference_patch_features(model, crop: torch.Tensor) -> tuple[torch.Tensor, int, int]:
    """SCLIP's visual forward for one (1, 3, h, w) crop, one head at a time."""
    visual = model.visual
    width = visual.class_embedding.shape[0]
    x = F.conv2d(crop, visual.conv1.weight, stride=visual.conv1.stride)
    rows, cols = x.shape[-2:]
    x = torch.cat([visual.class_embedding[None], x.reshape(width, rows * cols).T])
    position = visual.positional_embedding
    trained = int(round((position.shape[0] - 1) ** 0.5))
    if (rows, cols) != (trained, trained):
        grid = position[1:].reshape(1, trained, trained, width).permute(0, 3, 1, 2)
        scale = ((rows + 0.1) / trained, (cols + 0.1) / trained)
        grid = F.interpolate(grid, scale_factor=scale, mode="bicubic", align_corners=False)
        position = torch.cat([position[:1], grid.reshape(width, rows * cols).T])
    x = visual.ln_pre(x + position)
    blocks = visual.transformer.resblocks
    for block in blocks[:-1]:
        x = block(x[None])[0] if visual.transformer.batch_first else block(x[:, None])[:, 0]
    last = blocks[-1]
    attention = last.attn
    q, k, v = (last.ln_1(x) @ attention.in_proj_weight.T + attention.in_proj_bias).chunk(3, dim=-1)
    head_dim = width // attention.num_heads
    heads = []
    for head in range(attention.num_heads):
        part = slice(head * head_dim, (head + 1) * head_dim)
        qh, kh, vh = q[:, part], k[:, part], v[:, part]
        weights = torch.softmax(qh @ qh.T / head_dim**0.5, dim=-1)
        weights = weights + torch.softmax(kh @ kh.T / head_dim**0.5, dim=-1)
        heads.append(weights @ vh)
    x = x + last.ls_1(torch.cat(heads, dim=-1) @ attention.out_proj.weight.T + attention.out_proj.bias)
    x = x + last.ls_2(last.mlp(last.ln_2(x)))
    features = visual.ln_post(x) @ visual.proj
    features = features / features.norm(dim=-1, keepdim=True)
    return features[1:], rows, cols


def _reference_cosines(model, rgb, text, short_side, window, stride) -> np.ndarray:
    """(h, w, Q) window-averaged cosines of the resized image: mmseg-style slide inference."""
    height, width = rgb.shape[:2]
    scale = min(2048 / max(height, width), short_side / min(height, width))
    new_h, new_w = int(height * scale + 0.5), int(width * scale + 0.5)
    image = torch.tensor(rgb, dtype=torch.float32).permute(2, 0, 1)[None] / 255
    image = F.interpolate(image, size=(new_h, new_w), mode="bilinear", align_corners=False)
    mean, std = torch.tensor(OPENAI_DATASET_MEAN), torch.tensor(OPENAI_DATASET_STD)
    image = (image - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
    queries = text.shape[0]
    preds = torch.zeros(1, queries, new_h, new_w)
    count = torch.zeros(1, 1, new_h, new_w)
    for row in range(max(new_h - window + stride - 1, 0) // stride + 1):
        for col in range(max(new_w - window + stride - 1, 0) // stride + 1):
            y1, x1 = row * stride, col * stride
            y2, x2 = min(y1 + window, new_h), min(x1 + window, new_w)
            y1, x1 = max(y2 - window, 0), max(x2 - window, 0)
            crop = image[:, :, y1:y2, x1:x2]
            features, rows, cols = _reference_patch_features(model, crop)
            logits = (features @ text.T).T.reshape(1, queries, rows, cols)
            logits = F.interpolate(logits, size=crop.shape[-2:], mode="bilinear", align_corners=False)
            preds += F.pad(logits, (x1, new_w - x2, y1, new_h - y2))
            count[:, :, y1:y2, x1:x2] += 1
    return (preds / count)[0].permute(1, 2, 0).numpy()


@pytest.mark.parametrize(
    ("height", "width", "short_side", "window", "stride", "windows"),
    [
        (250, 300, 240, 224, 112, 4),  # 288x240: last window of each row and column shifted back
        (170, 200, 170, 160, 80, 4),  # 10x10 token grid: interpolated positional embedding
        (80, 100, 100, 224, 112, 1),  # 125x100, smaller than a window: one 7x6 grid window
        (90, 400, 90, 224, 112, 3),  # 400x90: windows span the full height, 5x14 grid
    ],
)
def test_dense_similarity_matches_reference(dense_clip, height, width, short_side, window, stride, windows):
    rgb = _test_image(height, width)
    generator = torch.Generator().manual_seed(1)
    text = F.normalize(torch.randn(4, dense_clip.model.visual.output_dim, generator=generator), dim=-1)
    before = dense_clip.forward_count
    result = dense_clip.compute_similarity(
        rgb, text.numpy(), short_side=short_side, window=window, stride=stride, batch_size=3
    )
    with torch.inference_mode():
        expected = _reference_cosines(dense_clip.model, rgb, text, short_side, window, stride)
    assert result.cosines.shape == expected.shape and result.cosines.dtype == np.float32
    assert result.image_size == (width, height)
    assert len(result.windows) == windows == dense_clip.forward_count - before
    assert np.abs(result.cosines - expected).max() < 1e-5
    # At the original size: the pipeline's fused resize + softmax against torch's resize of the
    # reference canvas, then a plain softmax.
    full = F.interpolate(
        torch.from_numpy(expected).permute(2, 0, 1)[None], size=(height, width), mode="bilinear", align_corners=False
    )[0].permute(1, 2, 0)
    expected_probabilities = torch.softmax(LOGIT_SCALE * full, dim=-1).numpy()
    dense = predict_dense(result, np.arange(4), 4, LOGIT_SCALE)
    probabilities = dense.scores.probabilities()
    assert probabilities.shape == (height, width, 4)
    assert np.abs(probabilities - expected_probabilities).max() < 1e-4
    assert float(expected_probabilities.max() - expected_probabilities.min()) > 0.05  # the maps carry signal


def test_similarity_record_geometry(dense_clip):
    rgb = _test_image(250, 300)
    text = dense_clip.encode_queries(["cat"], ("a photo of a {}.",))
    result = dense_clip.compute_similarity(rgb, text, short_side=240)
    assert result.resized_size == (288, 240)
    assert result.windows.dtype == np.int32
    expected = [[0, 0, 224, 224], [64, 0, 288, 224], [0, 16, 224, 240], [64, 16, 288, 240]]
    assert result.windows.tolist() == expected
    assert np.all(np.abs(result.cosines) <= 1.0)


def test_bad_inputs_are_refused(dense_clip):
    text = np.ones((1, dense_clip.model.visual.output_dim), np.float32)
    with pytest.raises(ImageError, match="uint8"):
        dense_clip.compute_similarity(np.zeros((20, 20, 3), np.float32), text)
    with pytest.raises(ImageError, match="elongated"):
        dense_clip.compute_similarity(np.zeros((4, 4000, 3), np.uint8), text)
    with pytest.raises(SitegenError, match="text_embeddings"):
        dense_clip.compute_similarity(np.zeros((20, 20, 3), np.uint8), text[:, :7])


def _reference_text(model, tokenizer, queries, templates) -> np.ndarray:
    """SCLIP's text side: full 77-token encode_text per template, normalise, mean, normalise."""
    rows = []
    for query in queries:
        embeddings = model.encode_text(tokenizer([template.format(query) for template in templates]))
        embeddings = embeddings / embeddings.norm(dim=-1, keepdim=True)
        mean = embeddings.mean(dim=0)
        rows.append(mean / mean.norm())
    return torch.stack(rows).numpy()


def _encoded_with_lengths(dense_clip, queries, templates):
    """(embeddings, open_clip's own embeddings, token length of each text-tower call)."""
    lengths = []
    text_tower = dense_clip.model.transformer
    hook = text_tower.register_forward_pre_hook(lambda module, args: lengths.append(args[0].shape[1]))
    try:
        embeddings = dense_clip.encode_queries(queries, templates)
    finally:
        hook.remove()
    with torch.inference_mode():
        expected = _reference_text(dense_clip.model, dense_clip.tokenizer, queries, templates)
    return embeddings, expected, lengths


def test_truncated_text_encoding_equals_encode_text(dense_clip):
    queries = ["cat", "a very long query about a rusty red bicycle leaning on a wall", "person"]
    templates = get_prompt_templates("top7")
    embeddings, expected, lengths = _encoded_with_lengths(dense_clip, queries, templates)
    assert embeddings.shape == (3, dense_clip.model.visual.output_dim) and embeddings.dtype == np.float32
    assert np.abs(embeddings - expected).max() < 1e-5
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-6)
    # Batched as one call, cut after the longest prompt's end-of-text token (far below 77).
    longest = int(dense_clip.tokenizer([t.format(queries[1]) for t in templates]).argmax(dim=-1).max()) + 1
    assert lengths == [longest] and longest < 30


def test_text_batches_group_prompts_by_length_and_keep_query_order(dense_clip, monkeypatch):
    from sitegen.models import clip

    queries = ["a very long query about a rusty red bicycle leaning on a wall", "cat", "traffic light", "sky"]
    templates = get_prompt_templates("top7")
    monkeypatch.setattr(clip, "TEXT_BATCH_SIZE", 5)
    embeddings, expected, lengths = _encoded_with_lengths(dense_clip, queries, templates)
    assert np.abs(embeddings - expected).max() < 1e-5
    # 28 prompts in 6 batches, shortest first, each cut at its own longest prompt.
    prompt_lengths = sorted(
        int(n) + 1 for n in dense_clip.tokenizer([t.format(q) for q in queries for t in templates]).argmax(dim=-1)
    )
    assert lengths == [max(prompt_lengths[i : i + 5]) for i in range(0, 28, 5)]
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]


def test_single_template_is_the_normalised_text_embedding(dense_clip):
    embedding = dense_clip.encode_queries(["dog"], ("a photo of a {}.",))
    with torch.inference_mode():
        direct = dense_clip.model.encode_text(dense_clip.tokenizer(["a photo of a dog."]), normalize=True)
    assert np.abs(embedding - direct.numpy()).max() < 1e-5


def test_text_count_and_empty_queries(dense_clip):
    before = dense_clip.text_count
    assert dense_clip.encode_queries([], ("{}",)).shape == (0, dense_clip.model.visual.output_dim)
    dense_clip.encode_queries(["a", "b"], ("{}", "a {}"))
    assert dense_clip.text_count == before + 2
    with pytest.raises(OptionsError):
        dense_clip.encode_queries(["a"], ())


def test_seed_makes_random_weights_reproducible_and_leaves_global_rng_alone(dense_clip):
    state = torch.random.get_rng_state()
    again = load_clip(ModelOptions(random_weights=True, seed=0), "cpu")
    other = load_clip(ModelOptions(random_weights=True, seed=1), "cpu")
    assert torch.equal(torch.random.get_rng_state(), state)
    first = dense_clip.model.visual.proj
    assert torch.equal(again.model.visual.proj, first)
    assert not torch.equal(other.model.visual.proj, first)
    assert not again.model.training
    assert again.identity == {**ModelOptions(random_weights=True, seed=0).identity()}


def test_unknown_and_unsupported_models_are_refused():
    with pytest.raises(OptionsError, match="not an open_clip model"):
        load_clip(ModelOptions(clip_model="ViT-Q-99", random_weights=True), "cpu")
    with pytest.raises(OptionsError, match="SCLIP needs"):
        load_clip(ModelOptions(clip_model="RN50", random_weights=True), "cpu")
