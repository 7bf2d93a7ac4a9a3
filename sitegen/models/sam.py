"""SAM 2 point prompting: embed an image once, then decode many point prompts in batches."""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from sitegen.errors import ImageError, SitegenError
from sitegen.models.weights import load_sam_weights, sam_weights, weights_identity
from sitegen.options import ModelOptions

#: The float32 upsampled logits of one decoder call stay under this (one prompt at least).
MAX_UPSAMPLE_BYTES = 512 * 2**20
#: Prompts per decoder call. On a CPU the decoder is bound by memory traffic: each prompt carries
#: its own copy of the 64x64x256 image tokens through the two-way transformer, and with two
#: prompts a call's tensors stay in cache (measured on 2 cores: 37 ms per prompt at 2, 40 at 1,
#: 46 at 4, 74 at 32). A GPU wants large batches.
CPU_PROMPT_BATCH = 2
GPU_PROMPT_BATCH = 32
#: The private methods of sam2's ``SAM2ImagePredictor`` that ``SamPredictor._decode`` calls, and
#: the leading parameters it passes them (as in sam2 1.1.0). pyproject.toml bounds sam2 to the
#: tested 1.1 releases and tests/models/test_sam.py checks these signatures against the
#: installed sam2, so a release that reshapes them fails there, with a message, not in a build.
SAM2_PRIVATE_CALLS = {
    "_prep_prompts": ("point_coords", "point_labels", "box", "mask_logits", "normalize_coords"),
    "_predict": ("point_coords", "point_labels", "boxes", "mask_input", "multimask_output"),
}


def load_sam(options: ModelOptions, device: str) -> SamPredictor:
    """Build the SAM 2 model of ``options`` once, on ``device``, in eval mode.

    With ``random_weights`` the model is untrained, initialised from ``options.seed`` (the global
    torch RNG is restored afterwards); otherwise the checkpoint comes from ``--sam-model`` (hub
    cache) or ``--sam-checkpoint`` and is loaded with ``weights_only=True``.

    Raises
    ------
    WeightsError
        When the config or weights cannot be found, downloaded or loaded.
    """
    from sam2.build_sam import build_sam2

    weights = sam_weights(options)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(options.seed)
        model = build_sam2(weights.config, ckpt_path=None, device="cpu")
    if weights.checkpoint is not None:
        load_sam_weights(model, weights.checkpoint)
    return SamPredictor(model.to(device).eval(), weights_identity(options))


class SamPredictor:
    """SAM 2's image predictor with batched multi-point prompts and usage counters.

    Attributes
    ----------
    identity : dict
        ``weights_identity`` of the options it was loaded with (for cache keys).
    embed_count : int
        Images embedded so far (``set_image`` calls).
    prompt_batches : int
        Batched decoder calls so far.
    """

    def __init__(self, model: torch.nn.Module, identity: dict):
        from sam2.sam2_image_predictor import SAM2ImagePredictor

        with warnings.catch_warnings():  # SAM 2 scripts its transforms, which torch now deprecates
            warnings.filterwarnings("ignore", message=".*torch.jit.script", category=FutureWarning)
            self._predictor = SAM2ImagePredictor(model)
        self._image_size: tuple[int, int] | None = None
        self.identity = identity
        self.embed_count = 0
        self.prompt_batches = 0

    @torch.inference_mode()
    def set_image(self, rgb: np.ndarray) -> None:
        """Embed ``rgb``, an (H, W, 3) uint8 image, once for every later ``predict``."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ImageError(f"expected an (H, W, 3) uint8 RGB image, got {rgb.shape} {rgb.dtype}")
        self._predictor.set_image(rgb)
        self._image_size = (int(rgb.shape[0]), int(rgb.shape[1]))
        self.embed_count += 1

    def predict(
        self,
        points: Sequence[np.ndarray],
        labels: Sequence[np.ndarray],
        batch_size: int | None = None,
    ) -> Iterator[tuple[list[int], np.ndarray, np.ndarray]]:
        """Three candidate masks per prompt (multimask_output=True) with predicted-IoU scores,
        one decoder batch at a time.

        Prompts with the same number of points share decoder calls of up to ``batch_size``
        prompts. Prompts are never padded to a common length: SAM's not-a-point label (-1)
        still adds a token the decoder attends to, which changes the masks. The prompts are
        checked at once; the batches are decoded as they are read, so a caller can reduce each
        before the next exists.

        Parameters
        ----------
        points : sequence of P ndarrays of shape (N_i, 2), dtype float32
            XY pixel coordinates in the embedded image, N_i >= 1.
        labels : sequence of P ndarrays of shape (N_i,), dtype int32
            1 = positive (foreground), 0 = negative (background).
        batch_size : int, optional
            Most prompts per decoder call; by default ``CPU_PROMPT_BATCH`` on a CPU and
            ``GPU_PROMPT_BATCH`` on an accelerator.

        Returns
        -------
        iterator of (indices, masks, scores)
            ``indices`` the B prompt indices of a batch, ``masks`` of shape (B, 3, H, W) bool,
            ``scores`` of shape (B, 3) float32. Every prompt is in exactly one batch.
        """
        if self._image_size is None:
            raise SitegenError("SamPredictor.predict was called before set_image: call set_image(rgb) first")
        if batch_size is None:
            on_cpu = self._predictor.model.device.type == "cpu"
            batch_size = CPU_PROMPT_BATCH if on_cpu else GPU_PROMPT_BATCH
        if batch_size < 1:
            raise SitegenError(f"batch_size must be at least 1, got {batch_size}")
        if len(points) != len(labels):
            raise SitegenError(
                f"got {len(points)} point arrays but {len(labels)} label arrays: pass one of each per prompt"
            )
        height, width = self._image_size
        # SAM 2 upsamples a batch's low-resolution logits to the image as float32 before
        # thresholding: on a large image, fewer prompts per call keep that temporary bounded.
        batch_size = max(1, min(batch_size, MAX_UPSAMPLE_BYTES // (3 * height * width * 4)))
        return self._decode_batches(points, labels, _batches_by_point_count(points, labels, batch_size))

    def batch_bytes(self, height: int, width: int) -> int:
        """Most bytes one decoder batch holds on an (H, W) image: float32 logits and bool masks.

        The logits are bounded by ``MAX_UPSAMPLE_BYTES`` (one prompt at least).
        """
        one_prompt = 3 * height * width * (4 + 1)
        return max(one_prompt, MAX_UPSAMPLE_BYTES // 4 * 5)

    @torch.inference_mode()
    def _decode_batches(self, points, labels, batches: list[list[int]]):
        for indices in batches:
            coords = np.stack([np.asarray(points[i], np.float32) for i in indices])
            point_labels = np.stack([np.asarray(labels[i], np.int32) for i in indices])
            masks, scores = self._decode(coords, point_labels)
            yield indices, masks, scores

    def _decode(self, coords: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One decoder call for (B, N, 2) coords and (B, N) labels: (B, 3, H, W) bool, (B, 3).

        Goes below ``SAM2ImagePredictor.predict``, which would turn the boolean masks into
        float32 arrays (four times the memory of the batch), to its private methods
        (``SAM2_PRIVATE_CALLS``).
        """
        predictor = self._predictor
        _, coords_t, labels_t, _ = predictor._prep_prompts(coords, labels, None, None, normalize_coords=True)
        masks, scores, _ = predictor._predict(coords_t, labels_t, multimask_output=True)
        self.prompt_batches += 1
        return masks.cpu().numpy(), scores.float().cpu().numpy()


def _batches_by_point_count(
    points: Sequence[np.ndarray], labels: Sequence[np.ndarray], batch_size: int
) -> list[list[int]]:
    """Prompt indices grouped by number of points, each group cut into ``batch_size`` chunks."""
    groups: dict[int, list[int]] = defaultdict(list)
    for index, (prompt_points, prompt_labels) in enumerate(zip(points, labels)):
        count = len(prompt_points)
        if count == 0 or np.shape(prompt_points) != (count, 2) or np.shape(prompt_labels) != (count,):
            raise SitegenError(
                f"prompt {index}: points must be (N, 2) with N >= 1 and labels (N,), "
                f"got {np.shape(prompt_points)} and {np.shape(prompt_labels)}"
            )
        groups[count].append(index)
    batches = []
    for group in groups.values():
        batches.extend(group[start : start + batch_size] for start in range(0, len(group), batch_size))
    return batches
