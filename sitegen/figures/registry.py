"""The 18 steps of SPEC section 4 and the records that rendering them produces."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StepInfo:
    """One step of the explanation.

    Attributes
    ----------
    number : int
        1 to 18.
    slug : str
        ``05_confidence_maps``: the PNG's file stem (SPEC section 5) and the step's id in links.
    title : str
        Short human title.
    """

    number: int
    slug: str
    title: str


@dataclass(frozen=True)
class RenderedStep:
    """Everything a page needs to show one step of one image.

    Attributes
    ----------
    png : bytes
        The paper-ready picture (legends, titles and labels drawn in).
    description : str
        Plain text written from the run's configuration and statistics; paragraphs are separated
        by a blank line.
    facts : dict
        Key numbers, shown as a small table beside the step.
    figure : dict or None
        Plotly figure as JSON data. Its pictures are ``layout.images`` whose ``source`` is
        ``"asset:<name>"``, ``name`` a key of ``assets``.
    assets : dict of str to bytes
        PNG layers referenced by the figure. ``"photo"`` is the same bytes in every step of an image.
    """

    step: StepInfo
    png: bytes
    description: str
    facts: dict[str, str | int | float]
    figure: dict | None
    assets: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class ClassDetails:
    """The per-class view (``--per-class-details``) of one class in one image.

    ``figures`` maps a short key (``confidence``, ``prompts``, ``statistics``) to a Plotly
    figure; assets and facts work as in ``RenderedStep``.
    """

    class_index: int
    png: bytes
    figures: dict[str, dict]
    assets: dict[str, bytes]
    facts: dict[str, str | int | float]


STEPS: tuple[StepInfo, ...] = (
    StepInfo(1, "01_raw_image", "Raw image"),
    StepInfo(2, "02_text_prompts", "Text prompts"),
    StepInfo(3, "03_sclip_patches", "SCLIP sliding windows"),
    StepInfo(4, "04_similarity", "Visual-text similarity"),
    StepInfo(5, "05_confidence_maps", "Per-class confidence maps"),
    StepInfo(6, "06_dense_prediction", "SCLIP dense prediction"),
    StepInfo(7, "07_prediction_confidences", "Prediction confidences"),
    StepInfo(8, "08_thresholding", "Confidence thresholding"),
    StepInfo(9, "09_connected_components", "Connected components"),
    StepInfo(10, "10_size_filter", "Region size filter"),
    StepInfo(11, "11_positive_prompts", "Positive point prompts"),
    StepInfo(12, "12_negative_prompts", "Negative point prompts"),
    StepInfo(13, "13_sam_prompting", "SAM prompting"),
    StepInfo(14, "14_sam_candidates", "SAM multi-mask candidates"),
    StepInfo(15, "15_mask_selection", "Best mask selection"),
    StepInfo(16, "16_overlap_resolution", "Overlap resolution"),
    StepInfo(17, "17_final_segmentation", "Final segmentation"),
    StepInfo(18, "18_comparison_grid", "Comparison grid"),
)


def step_info(slug: str) -> StepInfo:
    """The registry entry with this slug (KeyError names the slug when there is none)."""
    for step in STEPS:
        if step.slug == slug:
            return step
    raise KeyError(slug)
