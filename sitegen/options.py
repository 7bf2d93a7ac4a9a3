"""The frozen option records that every command builds once from its flags.

Field names mirror the flags (``min_confidence`` for ``--min-confidence``). Validation raises
``OptionsError`` with a message naming the flag, so a bad value stops the run before any model
loads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from sitegen.errors import OptionsError

PROMPT_TEMPLATE_SETS = ("imagenet80", "top7", "single")
PROMPT_MODES = ("joint", "separate")
DEVICES = ("auto", "cpu", "cuda")

#: Negative points must lie at least this many pixels (Euclidean) from the region they serve.
NEGATIVE_MIN_DISTANCE = 10.0


def _check(condition: bool, flag: str, why: str) -> None:
    if not condition:
        raise OptionsError(f"{flag}: {why}")


@dataclass(frozen=True)
class PipelineOptions:
    """Every option that changes what the pipeline computes for one image.

    The first group changes the CLIP dense prediction (stage 3); the second only the stages
    after it, so a cache can keep the CLIP output when only those change.
    """

    # Stage 3: SCLIP dense prediction.
    short_side: int = 336
    window: int = 224
    stride: int = 112
    logit_scale: float = 40.0
    prompt_templates: str = "imagenet80"
    max_pixels: int = 40_000_000
    # Stages 4-12.
    min_confidence: float = 0.3
    min_region_size: int = 100
    points_per_cluster: int = 1
    negative_points_per_cluster: int = 0
    negative_confidence_threshold: float = 0.8
    iou_threshold: float = 0.8
    prompt_mode: str = "joint"

    def __post_init__(self) -> None:
        _check(self.short_side >= 16, "--short-side", f"must be at least 16, got {self.short_side}")
        _check(self.window >= 16, "--window", f"must be at least 16, got {self.window}")
        _check(
            0 < self.stride <= self.window,
            "--stride",
            f"must be between 1 and --window ({self.window}), got {self.stride}",
        )
        _check(self.logit_scale > 0, "--logit-scale", f"must be positive, got {self.logit_scale}")
        _check(
            self.prompt_templates in PROMPT_TEMPLATE_SETS,
            "--prompt-templates",
            f"must be one of {', '.join(PROMPT_TEMPLATE_SETS)}, got {self.prompt_templates!r}",
        )
        _check(self.max_pixels >= 1024, "--max-pixels", f"must be at least 1024, got {self.max_pixels}")
        _check(
            0.0 <= self.min_confidence <= 1.0,
            "--min-confidence",
            f"must be between 0 and 1, got {self.min_confidence}",
        )
        _check(self.min_region_size >= 1, "--min-region-size", f"must be at least 1, got {self.min_region_size}")
        _check(
            self.points_per_cluster >= 1,
            "--points-per-cluster",
            f"must be at least 1, got {self.points_per_cluster}",
        )
        _check(
            self.negative_points_per_cluster >= 0,
            "--negative-points-per-cluster",
            f"must be 0 or more, got {self.negative_points_per_cluster}",
        )
        _check(
            0.0 <= self.negative_confidence_threshold <= 1.0,
            "--negative-confidence-threshold",
            f"must be between 0 and 1, got {self.negative_confidence_threshold}",
        )
        _check(
            0.0 <= self.iou_threshold <= 1.0,
            "--iou-threshold",
            f"must be between 0 and 1, got {self.iou_threshold}",
        )
        _check(
            self.prompt_mode in PROMPT_MODES,
            "--prompt-mode",
            f"must be one of {', '.join(PROMPT_MODES)}, got {self.prompt_mode!r}",
        )

    def dense_fields(self) -> dict:
        """The options that change the CLIP dense prediction (the cache key of stage 3)."""
        names = ("short_side", "window", "stride", "prompt_templates", "max_pixels")
        return {name: getattr(self, name) for name in names}

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ModelOptions:
    """Which weights to load and where to run them.

    ``clip_pretrained`` is an open_clip tag (``openai``) or a local checkpoint path.
    ``sam_model`` is a Hugging Face hub id; ``sam_checkpoint`` + ``sam_config`` replace it with
    local files. ``random_weights`` builds both models untrained (masks are meaningless).
    """

    clip_model: str = "ViT-B-16-quickgelu"
    clip_pretrained: str = "openai"
    sam_model: str = "facebook/sam2.1-hiera-tiny"
    sam_checkpoint: str | None = None
    sam_config: str | None = None
    random_weights: bool = False
    device: str = "auto"
    seed: int = 0

    def __post_init__(self) -> None:
        _check(self.device in DEVICES, "--device", f"must be one of {', '.join(DEVICES)}, got {self.device!r}")
        _check(
            (self.sam_checkpoint is None) == (self.sam_config is None),
            "--sam-checkpoint",
            "--sam-checkpoint and --sam-config must be given together",
        )

    def identity(self) -> dict:
        """What identifies the models' weights (part of every cache key; device excluded)."""
        return {
            "clip_model": self.clip_model,
            "clip_pretrained": self.clip_pretrained,
            "sam_model": self.sam_model,
            "sam_checkpoint": self.sam_checkpoint,
            "sam_config": self.sam_config,
            "random_weights": self.random_weights,
            "seed": self.seed if self.random_weights else None,
        }

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}
