"""SCLIP dense prediction (Wang et al., arXiv 2312.01597) with an open_clip ViT CLIP.

SCLIP changes only CLIP's last visual block: its self-attention becomes *correlative*
self-attention, ``softmax(q q^T) + softmax(k k^T)`` applied to v, which makes every patch token
attend to patches that look like it, so the patch tokens (after ``ln_post`` and ``proj``) can be
compared with text embeddings pixel by pixel. The image is covered by overlapping windows whose
per-patch cosines are averaged. Details follow the reference code (github.com/wangf3014/SCLIP).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from sitegen.errors import ImageError, OptionsError, SitegenError
from sitegen.models.weights import clip_checkpoint, create_clip_model, weights_identity
from sitegen.models.windows import resized_size, sliding_windows
from sitegen.options import ModelOptions
from sitegen.records import DenseSimilarity

#: Prompts encoded per text-tower call.
TEXT_BATCH_SIZE = 256


def load_clip(options: ModelOptions, device: str) -> DenseClip:
    """Build the CLIP model of ``options`` once, on ``device``, in eval mode.

    With ``random_weights`` the model is untrained, initialised from ``options.seed`` (the global
    torch RNG is restored afterwards); otherwise its weights come from ``--clip-pretrained``.

    Raises
    ------
    OptionsError
        For an unknown ``--clip-model`` or one SCLIP cannot run on.
    WeightsError
        When the weights cannot be found, downloaded or loaded.
    """
    import open_clip

    if options.clip_model not in open_clip.list_models():
        raise OptionsError(
            f"--clip-model {options.clip_model!r} is not an open_clip model; "
            "use a ViT CLIP such as ViT-B-16-quickgelu (open_clip.list_models() lists them all)"
        )
    checkpoint = None
    if not options.random_weights:
        checkpoint = clip_checkpoint(options.clip_model, options.clip_pretrained)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(options.seed)
        model = create_clip_model(options.clip_model, checkpoint)
    _check_supported(model, options.clip_model)
    tokenizer = open_clip.get_tokenizer(options.clip_model)
    return DenseClip(model.to(device).eval(), tokenizer, device, weights_identity(options))


def _check_supported(model: torch.nn.Module, name: str) -> None:
    """Raise unless ``model`` is an OpenAI-style CLIP: ViT with class token, causal text tower."""
    from open_clip.model import CLIP
    from open_clip.transformer import ResidualAttentionBlock, VisionTransformer

    visual = getattr(model, "visual", None)
    supported = (
        isinstance(model, CLIP)
        and model.attn_mask is not None
        and model.text_pool_type == "argmax"
        and isinstance(visual, VisionTransformer)
        and visual.attn_pool is None
        and visual.pool_type == "tok"
        and all(type(block) is ResidualAttentionBlock for block in visual.transformer.resblocks)
    )
    if not supported:
        raise OptionsError(
            f"--clip-model {name!r}: SCLIP needs an OpenAI-style ViT CLIP (class token, plain "
            "attention blocks, causal text tower); use ViT-B-16-quickgelu or another ViT-*-quickgelu"
        )


def correlative_attention(attention: torch.nn.MultiheadAttention, x: torch.Tensor) -> torch.Tensor:
    """SCLIP's correlative self-attention with the weights of ``attention``.

    Per head, with q, k, v from the block's own input projection and ``scale = head_dim**-0.5``:
    ``out = out_proj((softmax(q q^T scale) + softmax(k k^T scale)) v)``, computed as the sum of
    two fused attention calls.

    Parameters
    ----------
    x : Tensor of shape (B, N, D)
        Batch-first tokens, already through the block's ``ln_1``.
    """
    batch, tokens, width = x.shape
    heads = attention.num_heads
    head_dim = width // heads
    qkv = F.linear(x, attention.in_proj_weight, attention.in_proj_bias)
    q, k, v = qkv.reshape(batch, tokens, 3, heads, head_dim).permute(2, 0, 3, 1, 4)
    scale = head_dim**-0.5
    out = F.scaled_dot_product_attention(q, q, v, scale=scale)
    out = out + F.scaled_dot_product_attention(k, k, v, scale=scale)
    return attention.out_proj(out.transpose(1, 2).reshape(batch, tokens, width))


def _project(x: torch.Tensor, projection) -> torch.Tensor:
    """Apply open_clip's text projection, a matrix or an ``nn.Linear``."""
    return projection(x) if isinstance(projection, torch.nn.Linear) else x @ projection


class DenseClip:
    """An open_clip CLIP model that yields SCLIP's per-pixel cosines with text queries.

    Attributes
    ----------
    model : open_clip.CLIP
        In eval mode on ``device``.
    identity : dict
        ``weights_identity`` of the options it was loaded with (for cache keys).
    forward_count : int
        Windows encoded so far (one visual forward pass each).
    text_count : int
        Queries encoded so far.
    """

    def __init__(self, model: torch.nn.Module, tokenizer, device: str, identity: dict):
        from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD

        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.identity = identity
        self.forward_count = 0
        self.text_count = 0
        self._mean = torch.tensor(OPENAI_DATASET_MEAN, device=device).view(3, 1, 1)
        self._std = torch.tensor(OPENAI_DATASET_STD, device=device).view(3, 1, 1)

    # --- text -------------------------------------------------------------------------------

    @torch.inference_mode()
    def encode_queries(self, queries: Sequence[str], prompt_templates: Sequence[str]) -> np.ndarray:
        """Embed each query as the normalised mean of its normalised template embeddings.

        Parameters
        ----------
        queries : sequence of str
            Q queries.
        prompt_templates : sequence of str
            T templates with ``{}`` where the query goes.

        Returns
        -------
        ndarray of shape (Q, D), dtype float32
            Unit-norm text embeddings, one row per query.
        """
        if not prompt_templates:
            raise OptionsError("prompt_templates is empty: pass at least one template with {}")
        prompts = [template.format(query) for query in queries for template in prompt_templates]
        if not prompts:
            return np.zeros((0, self.model.visual.output_dim), np.float32)
        # Prompts of similar length share a batch, so each batch is cut close to its own prompts'
        # length: 171 classes x 80 templates pad to a few tokens less per prompt than in query order.
        tokens = self.tokenizer(prompts)
        order = torch.argsort(tokens.argmax(dim=-1), stable=True)
        parts = [
            self._encode_tokens(tokens[order[start : start + TEXT_BATCH_SIZE]].to(self.device))
            for start in range(0, len(prompts), TEXT_BATCH_SIZE)
        ]
        embeddings = torch.cat(parts)[torch.argsort(order).to(parts[0].device)]
        per_template = F.normalize(embeddings.float(), dim=-1).reshape(len(queries), len(prompt_templates), -1)
        self.text_count += len(queries)
        return F.normalize(per_template.mean(dim=1), dim=-1).cpu().numpy()

    def _encode_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """``model.encode_text`` of (B, 77) tokens on the first L only, L = the last end-of-text
        position + 1.

        The text tower's attention is causal and pools the end-of-text token (the highest token
        id), so the padding after it never reaches the result: cutting it makes the usual 77
        tokens about 10, with identical embeddings.
        """
        model = self.model
        end_of_text = tokens.argmax(dim=-1)
        length = int(end_of_text.max()) + 1
        cast_dtype = model.transformer.get_cast_dtype()
        x = model.token_embedding(tokens[:, :length]).to(cast_dtype)
        x = x + model.positional_embedding[:length].to(cast_dtype)
        x = model.transformer(x, attn_mask=model.attn_mask[:length, :length])
        x = model.ln_final(x)
        return _project(x[torch.arange(len(tokens), device=x.device), end_of_text], model.text_projection)

    # --- image ------------------------------------------------------------------------------

    @torch.inference_mode()
    def compute_similarity(
        self,
        rgb: np.ndarray,
        text_embeddings: np.ndarray,
        *,
        short_side: int = 336,
        window: int = 224,
        stride: int = 112,
        batch_size: int = 16,
    ) -> DenseSimilarity:
        """Per-pixel cosine similarity of the image with every query, by SCLIP sliding windows.

        The image is resized (aspect kept, short side ``short_side``, long side at most 2048;
        bilinear, no antialias), normalised with CLIP's mean and std and cut into ``window``
        squares ``stride`` apart. Each window's patch cosines are upsampled bilinearly to the
        window and windows are averaged where they overlap. The average stays at the resized
        image's resolution: ``sitegen.pipeline.dense_prediction`` resizes it bilinearly to the
        original size a few rows at a time, fused with the softmax, to bound memory.

        Parameters
        ----------
        rgb : ndarray of shape (H, W, 3), dtype uint8
        text_embeddings : ndarray of shape (Q, D), dtype float32
            Query embeddings (normalised here again, so the result is a cosine).
        batch_size : int
            Windows per visual forward call.

        Returns
        -------
        DenseSimilarity
            ``cosines`` (h, w, Q) float32 at the resized image, ``windows`` (N, 4) int32 in the
            resized image, ``image_size`` (W, H) of ``rgb``.
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ImageError(f"expected an (H, W, 3) uint8 RGB image, got {rgb.shape} {rgb.dtype}")
        dim = self.model.visual.output_dim
        if text_embeddings.ndim != 2 or len(text_embeddings) == 0 or text_embeddings.shape[1] != dim:
            raise SitegenError(
                f"text_embeddings must be (Q >= 1, {dim}) from this model's encode_queries, "
                f"got {text_embeddings.shape}"
            )
        height, width = rgb.shape[:2]
        new_width, new_height = resized_size(width, height, short_side)
        patch = max(self.model.visual.patch_size)
        if min(new_width, new_height, window) < patch:
            raise ImageError(
                f"the image resized for CLIP is {new_width}x{new_height}, and a side below the {patch}-pixel "
                "patch leaves no tokens; crop the image to a less elongated shape"
            )
        image = self._normalised(rgb, new_width, new_height)
        text = F.normalize(torch.as_tensor(text_embeddings, dtype=torch.float32, device=self.device), dim=-1)
        boxes = sliding_windows(new_width, new_height, window, stride)
        canvas = torch.zeros((len(text), new_height, new_width), device=self.device)
        count = torch.zeros((new_height, new_width), device=self.device)
        for start in range(0, len(boxes), batch_size):
            batch = boxes[start : start + batch_size]
            crops = torch.stack([image[:, y0:y1, x0:x1] for x0, y0, x1, y1 in batch])
            for (x0, y0, x1, y1), cosines in zip(batch, self._window_cosines(crops, text)):
                canvas[:, y0:y1, x0:x1] += cosines
                count[y0:y1, x0:x1] += 1
        canvas /= count
        cosines = canvas.permute(1, 2, 0).cpu().numpy()
        return DenseSimilarity(cosines, boxes, (new_width, new_height), image_size=(width, height))

    def _normalised(self, rgb: np.ndarray, width: int, height: int) -> torch.Tensor:
        """(3, height, width) float32: resized bilinearly without antialias, CLIP-normalised."""
        pixels = torch.tensor(rgb, device=self.device).permute(2, 0, 1)[None].float() / 255.0  # a copy: rgb may be read-only
        pixels = F.interpolate(
            pixels, size=(height, width), mode="bilinear", align_corners=False, antialias=False
        )
        return (pixels[0] - self._mean) / self._std

    def _window_cosines(self, crops: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """(B, Q, h, w): patch cosines of same-sized windows, upsampled bilinearly to the window."""
        features, grid = self._encode_windows(crops)
        self.forward_count += len(crops)
        cosines = (features @ text.T).transpose(1, 2).reshape(len(crops), len(text), *grid)
        return F.interpolate(cosines, size=crops.shape[-2:], mode="bilinear", align_corners=False)

    def _encode_windows(self, pixels: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
        """SCLIP's visual forward: unit-norm patch features (B, gh*gw, D) and the grid (gh, gw).

        As open_clip's ``VisionTransformer`` forward, except that the positional embedding is
        interpolated for a grid other than the trained one and the last block uses correlative
        self-attention (keeping its residual, layer scale and MLP); ``ln_post`` and ``proj`` then
        apply to every patch token, not only the class token.
        """
        visual = self.model.visual
        x = visual.conv1(pixels.to(visual.conv1.weight.dtype))
        grid = (x.shape[-2], x.shape[-1])
        x = x.flatten(2).transpose(1, 2)
        class_token = visual.class_embedding.to(x.dtype).expand(len(x), 1, -1)
        x = torch.cat([class_token, x], dim=1) + self._positional_embedding(grid).to(x.dtype)
        x = visual.ln_pre(visual.patch_dropout(x))
        *blocks, last = visual.transformer.resblocks
        batch_first = visual.transformer.batch_first
        x = x if batch_first else x.transpose(0, 1)
        for block in blocks:
            x = block(x)
        x = x if batch_first else x.transpose(0, 1)
        x = x + last.ls_1(correlative_attention(last.attn, last.ln_1(x)))
        x = x + last.ls_2(last.mlp(last.ln_2(x)))
        features = visual.ln_post(x[:, 1:]) @ visual.proj
        return F.normalize(features.float(), dim=-1), grid

    def _positional_embedding(self, grid: tuple[int, int]) -> torch.Tensor:
        """(1 + gh*gw, width) positional embedding for a ``grid`` of patches.

        The trained grid keeps its embedding. Any other grid gets the patch embeddings resized
        bicubically as SCLIP's reference does: ``scale_factor = (g + 0.1) / trained_g`` per axis
        (the 0.1 makes the floored output size exactly g), align_corners=False.
        """
        visual = self.model.visual
        trained = tuple(visual.grid_size)
        if tuple(grid) == trained:
            return visual.positional_embedding
        class_position, patch_positions = visual.positional_embedding[:1], visual.positional_embedding[1:]
        patch_positions = patch_positions.reshape(1, *trained, -1).permute(0, 3, 1, 2)
        patch_positions = F.interpolate(
            patch_positions.float(),
            scale_factor=((grid[0] + 0.1) / trained[0], (grid[1] + 0.1) / trained[1]),
            mode="bicubic",
            align_corners=False,
        )
        patch_positions = patch_positions[0].flatten(1).T.to(class_position.dtype)
        return torch.cat([class_position, patch_positions])
