"""Evaluation against ground truth: label maps read as class indices, and IoUMetric's scores.

Pure functions of arrays and files; the site build calls them for every image that has a
ground-truth file and shows the numbers. Nothing here imports torch, figures or the site.
"""

from sitegen.evaluation.ground_truth import (
    DEFAULT_IGNORE_INDEX,
    IGNORED,
    GroundTruth,
    LabelMapping,
    find_ground_truth,
    load_ground_truth,
    read_label_mapping,
)
from sitegen.evaluation.metrics import ImageEvaluation, Scores, error_map, evaluate_image, sum_scores

__all__ = [
    "DEFAULT_IGNORE_INDEX",
    "IGNORED",
    "GroundTruth",
    "ImageEvaluation",
    "LabelMapping",
    "Scores",
    "error_map",
    "evaluate_image",
    "find_ground_truth",
    "load_ground_truth",
    "read_label_mapping",
    "sum_scores",
]
