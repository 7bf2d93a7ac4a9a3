"""Segmentation metrics as mmsegmentation's ``IoUMetric`` defines them, from confusion matrices.

For one set of images and C classes, with ignored ground-truth pixels left out everywhere
(their predictions too):

* per class c, summed over every pixel of every image: ``intersection`` (truth c, predicted c),
  ``label_area`` (truth c), ``pred_area`` (predicted c), ``union = label_area + pred_area -
  intersection``;
* ``iou[c] = intersection / union`` and ``acc[c] = intersection / label_area``, NaN where the
  denominator is 0: a class absent from both sides has no IoU, a class absent from the ground
  truth has no accuracy (and IoU 0 if it was predicted);
* ``aacc`` = all intersections / all evaluated pixels; ``miou`` and ``macc`` = the mean of the
  non-NaN entries (``np.nanmean``), so classes absent from both sides are left out of mIoU.

Everything follows from the (C, C) confusion matrix (rows ground truth, columns prediction):
its diagonal is the intersection, its row sums the label areas, its column sums the predicted
areas. Dataset scores are the scores of the summed matrices, never a mean of image scores.
Values are fractions (0 to 1), not mmsegmentation's percentages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sitegen.evaluation.ground_truth import IGNORED, GroundTruth

#: Values of an error map (``error_map``).
CORRECT, WRONG, IGNORED_PIXEL = 0, 1, 2


def confusion_matrix(prediction: np.ndarray, truth: np.ndarray, num_classes: int) -> np.ndarray:
    """Count (truth, prediction) pairs over the pixels whose truth is not ``IGNORED``.

    Parameters
    ----------
    prediction : ndarray of shape (H, W), integer dtype
        Predicted class per pixel, 0..C-1.
    truth : ndarray of shape (H, W), integer dtype
        True class per pixel, 0..C-1, or ``IGNORED`` (-1).
    num_classes : int
        C.

    Returns
    -------
    ndarray of shape (C, C), dtype int64
        ``[t, p]`` = pixels of true class t predicted as p.

    Raises
    ------
    ValueError
        Shapes differ, or a class index is outside 0..C-1.

    Examples
    --------
    >>> confusion_matrix(np.array([[0, 1, 1]]), np.array([[0, 0, -1]]), 2).tolist()
    [[1, 1], [0, 0]]
    """
    prediction, truth = np.asarray(prediction), np.asarray(truth)
    if prediction.shape != truth.shape:
        raise ValueError(f"prediction {prediction.shape} and ground truth {truth.shape} differ in shape")
    valid = truth != IGNORED
    shown, true = prediction[valid].astype(np.int64), truth[valid].astype(np.int64)
    for array, what in ((shown, "prediction"), (true, "ground truth")):
        if array.size and (array.min() < 0 or array.max() >= num_classes):
            raise ValueError(f"{what} holds class {array.min()}..{array.max()}, outside 0..{num_classes - 1}")
    counts = np.bincount(true * num_classes + shown, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator as float64, NaN where the denominator is 0."""
    out = np.full(np.shape(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=np.asarray(denominator) > 0)
    return out


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else float("nan")


@dataclass(frozen=True)
class Scores:
    """IoUMetric's numbers for one confusion matrix (one image, or a whole set summed).

    Attributes
    ----------
    confusion : ndarray of shape (C, C), dtype int64
        Rows ground truth, columns prediction, ignored pixels left out.
    intersection, union, pred_area, label_area : ndarray of shape (C,), dtype int64
    iou, acc : ndarray of shape (C,), dtype float64
        NaN where union (resp. label_area) is 0.
    aacc, miou, macc : float
        NaN when there is nothing to average (no evaluated pixel).
    """

    confusion: np.ndarray
    intersection: np.ndarray
    union: np.ndarray
    pred_area: np.ndarray
    label_area: np.ndarray
    iou: np.ndarray
    acc: np.ndarray
    aacc: float
    miou: float
    macc: float

    @property
    def num_classes(self) -> int:
        return int(self.confusion.shape[0])

    @property
    def pixels(self) -> int:
        """Evaluated pixels (ignored ones left out)."""
        return int(self.label_area.sum())

    @property
    def present(self) -> np.ndarray:
        """(C,) bool: classes in the ground truth or the prediction, the ones mIoU averages."""
        return self.union > 0


def scores_from_confusion(confusion: np.ndarray) -> Scores:
    """Every IoUMetric number of a (C, C) confusion matrix (rows truth, columns prediction).

    Examples
    --------
    >>> scores = scores_from_confusion(np.array([[3, 1, 0], [0, 0, 0], [2, 0, 4]]))
    >>> scores.iou.round(3).tolist(), round(scores.miou, 4), round(scores.aacc, 4)
    ([0.5, 0.0, 0.667], 0.3889, 0.7)
    >>> scores.acc.round(3).tolist(), round(scores.macc, 4)
    ([0.75, nan, 0.667], 0.7083)
    """
    confusion = np.asarray(confusion, dtype=np.int64)
    intersection = np.diagonal(confusion).copy()
    label_area = confusion.sum(axis=1)
    pred_area = confusion.sum(axis=0)
    union = label_area + pred_area - intersection
    iou = _ratio(intersection, union)
    acc = _ratio(intersection, label_area)
    total = int(label_area.sum())
    return Scores(
        confusion=confusion,
        intersection=intersection,
        union=union,
        pred_area=pred_area,
        label_area=label_area,
        iou=iou,
        acc=acc,
        aacc=float(intersection.sum() / total) if total else float("nan"),
        miou=_nanmean(iou),
        macc=_nanmean(acc),
    )


def sum_scores(scores: Sequence[Scores], num_classes: int) -> Scores:
    """The scores of a set: its images' confusion matrices summed, then divided (IoUMetric)."""
    total = np.zeros((num_classes, num_classes), np.int64)
    for item in scores:
        total += item.confusion
    return scores_from_confusion(total)


def error_map(prediction: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per pixel ``CORRECT`` (0), ``WRONG`` (1, another class) or ``IGNORED_PIXEL`` (2).

    Parameters
    ----------
    prediction, truth : ndarray of shape (H, W), integer dtype
        As in ``confusion_matrix``.

    Returns
    -------
    ndarray of shape (H, W), dtype uint8

    Examples
    --------
    >>> error_map(np.array([[0, 1, 1]]), np.array([[0, 0, -1]])).tolist()
    [[0, 1, 2]]
    """
    out = np.where(prediction == truth, CORRECT, WRONG).astype(np.uint8)
    out[truth == IGNORED] = IGNORED_PIXEL
    return out


@dataclass(frozen=True)
class ImageEvaluation:
    """Both maps of one image scored against its ground truth.

    Attributes
    ----------
    name : str
        The image's file name.
    ground_truth : str
        The ground-truth file's name.
    sclip : Scores
        The SCLIP argmax (stage 3, ``result.dense.prediction``).
    final : Scores
        The final SAM-refined map (stage 12, ``result.final.labels``).
    ignored_pixels : int
        Pixels with ``--ignore-index``.
    unmapped : tuple of (int, int)
        ``(dataset index, pixels)`` that ``--gt-labels`` maps to no class (ignored as well).
    resized_from : tuple of int or None
        The ground truth's ``(width, height)`` when it was resized to a downscaled image.
    """

    name: str
    ground_truth: str
    sclip: Scores
    final: Scores
    ignored_pixels: int
    unmapped: tuple[tuple[int, int], ...] = ()
    resized_from: tuple[int, int] | None = None

    @property
    def gain(self) -> float:
        """Final mIoU minus SCLIP mIoU: what SAM's refinement did for this image."""
        return self.final.miou - self.sclip.miou


def evaluate_image(
    name: str, prediction: np.ndarray, final: np.ndarray, truth: GroundTruth, num_classes: int
) -> ImageEvaluation:
    """Score the SCLIP argmax and the final map of one image against ``truth``.

    Parameters
    ----------
    name : str
        The image's file name.
    prediction, final : ndarray of shape (H, W), integer dtype
        Class indices 0..C-1 (``result.dense.prediction`` and ``result.final.labels``).
    truth : GroundTruth
        Of the same (H, W).
    num_classes : int
        C, the vocabulary's size (every matrix is (C, C)).

    Raises
    ------
    ValueError
        The maps and the ground truth differ in shape or hold classes outside 0..C-1.
    """
    return ImageEvaluation(
        name=name,
        ground_truth=truth.name,
        sclip=scores_from_confusion(confusion_matrix(prediction, truth.labels, num_classes)),
        final=scores_from_confusion(confusion_matrix(final, truth.labels, num_classes)),
        ignored_pixels=truth.ignored_pixels,
        unmapped=truth.unmapped,
        resized_from=truth.resized_from,
    )
