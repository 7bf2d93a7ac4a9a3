"""The evaluation part of a site: ground truth per image, then the numbers every page shows.

With ``--ground-truth DIR`` the build evaluates each image's two maps (the SCLIP argmax and the
final map) after its result is known, whether the result came from the cache or the models:
evaluation is no part of any cache key, so a ground-truth change recomputes the metrics and the
pages only. Without it nothing here runs and no page mentions an evaluation.

* ``GroundTruthSource`` is what the flags name: the folder, its files by stem, the mapping.
* ``load_truth`` reads one image's ground truth (a bad file raises ``GroundTruthError``, one
  line naming it, and the build leaves the image out of the metrics); ``evaluate_result``
  scores one result against it and draws its picture.
* ``EvaluationTally`` keeps what the index and class pages need of every image (a few numbers
  per class, never the confusion matrices of thousands of images) and sums the dataset's
  confusion matrices as images arrive.
* The ``*_context`` functions and ``metrics_json`` turn those into page contexts and
  ``metrics.json``; every number a page shows is in ``metrics.json`` (and each image's own in
  its ``statistics.json``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sitegen.errors import GroundTruthError
from sitegen.evaluation import (
    DEFAULT_IGNORE_INDEX,
    GroundTruth,
    ImageEvaluation,
    LabelMapping,
    Scores,
    evaluate_image,
    find_ground_truth,
    load_ground_truth,
    read_label_mapping,
)
from sitegen.evaluation.metrics import scores_from_confusion
from sitegen.figures.evaluation import MAPS, plot_class_iou, plot_confusion, render_evaluation, shown_classes
from sitegen.figures.palette import Palette
from sitegen.records import LoadedImage, PipelineResult, Vocabulary

METRICS_FILE = "metrics.json"
SCHEMA_VERSION = 1
#: The per-image picture, in the image's folder.
PICTURE_NAME = "evaluation.jpg"


@dataclass(frozen=True)
class GroundTruthSource:
    """Where ground truth comes from and how its indices map to classes (``--ground-truth`` etc.).

    Attributes
    ----------
    folder : Path
    files : dict of str to Path
        PNG files of the folder by stem.
    mapping : LabelMapping
    labels_file : str or None
        The ``--gt-labels`` file's name, for the pages.
    """

    folder: Path
    files: dict[str, Path]
    mapping: LabelMapping
    labels_file: str | None = None

    @classmethod
    def open(
        cls,
        folder: Path,
        vocabulary: Vocabulary,
        gt_labels: Path | None = None,
        ignore_index: int = DEFAULT_IGNORE_INDEX,
    ) -> GroundTruthSource:
        """Read the flags' files up front, so a bad ``--gt-labels`` stops the build before any model.

        Raises
        ------
        GroundTruthError
            The folder cannot be listed, or the labels file is unreadable or malformed.
        """
        if gt_labels is None:
            mapping = LabelMapping(None, len(vocabulary), ignore_index)
        else:
            mapping = read_label_mapping(gt_labels, vocabulary, ignore_index)
        return cls(Path(folder), find_ground_truth(folder), mapping, None if gt_labels is None else Path(gt_labels).name)

    def path_for(self, image_name: str) -> Path:
        """The ground-truth file of an image (``photo.jpg`` -> ``DIR/photo.png``), present or not."""
        stem = Path(image_name).stem
        return self.files.get(stem, self.folder / f"{stem}.png")

    def describe(self) -> dict:
        """The settings as ``metrics.json`` records them (names only: no local paths in a site)."""
        mapping = self.mapping
        return {
            "folder": self.folder.name,
            "gt_labels": self.labels_file,
            "ignore_index": mapping.ignore_index,
            "mapping": None if mapping.classes is None else {str(k): v for k, v in sorted(mapping.classes.items())},
        }


@dataclass(frozen=True)
class EvaluatedImage:
    """One image's evaluation and its picture (JPEG bytes of ``render_evaluation``)."""

    evaluation: ImageEvaluation
    picture: bytes


def load_truth(image: LoadedImage, source: GroundTruthSource) -> GroundTruth:
    """The ground truth of ``image`` (every variant of a build shares it: they share the image).

    Raises
    ------
    GroundTruthError
        The image's ground truth is missing, unreadable, of another size or outside the mapping.
    """
    path = source.path_for(image.name)
    if not path.is_file():
        raise GroundTruthError(f"{path}: no ground truth for {image.name} (the file is missing)")
    return load_ground_truth(path, image, source.mapping)


def evaluate_result(result: PipelineResult, truth: GroundTruth, palette: Palette) -> EvaluatedImage:
    """Score both maps of ``result`` against ``truth`` (``load_truth``'s) and draw the comparison."""
    evaluation = evaluate_image(
        result.image.name, result.dense.prediction, result.final.labels, truth, len(result.vocabulary)
    )
    return EvaluatedImage(evaluation, render_evaluation(result, truth, evaluation, palette))


# --- JSON records --------------------------------------------------------------------------------


def _number(value: float) -> float | None:
    """A float for JSON: NaN (nothing to average) as null, otherwise rounded to 6 decimals."""
    return None if value is None or math.isnan(value) else round(float(value), 6)


def scores_record(scores: Scores, names: list[str], *, confusion: bool) -> dict:
    """IoUMetric's numbers of one map: summary, every present class, optionally the matrix."""
    record = {
        "mIoU": _number(scores.miou),
        "mAcc": _number(scores.macc),
        "aAcc": _number(scores.aacc),
        "evaluated_pixels": scores.pixels,
        "classes": [
            {
                "index": c,
                "name": names[c],
                "IoU": _number(scores.iou[c]),
                "Acc": _number(scores.acc[c]),
                "intersection": int(scores.intersection[c]),
                "union": int(scores.union[c]),
                "pred_area": int(scores.pred_area[c]),
                "label_area": int(scores.label_area[c]),
            }
            for c in np.flatnonzero(scores.present).tolist()
        ],
    }
    if confusion:
        record["confusion"] = scores.confusion.tolist()
    return record


def image_record(evaluation: ImageEvaluation, names: list[str], *, confusion: bool) -> dict:
    """One image's numbers: its ``statistics.json`` ``evaluation`` entry (with its confusion
    matrices) and its ``metrics.json`` row (without: thousands of them would be megabytes)."""
    return {
        "image": evaluation.name,
        "ground_truth": evaluation.ground_truth,
        "ignored_pixels": evaluation.ignored_pixels,
        "unmapped": [{"index": i, "pixels": n} for i, n in evaluation.unmapped],
        "resized_from": None if evaluation.resized_from is None else list(evaluation.resized_from),
        "gain_mIoU": _number(evaluation.gain),
        **{key: scores_record(getattr(evaluation, key), names, confusion=confusion) for key, _, _ in MAPS},
    }


# --- What the build keeps -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageScores:
    """What the index and class pages need of one evaluated image (small: no matrices).

    ``iou[key]`` is the (C,) float64 IoU of map ``key`` (``sclip``/``final``), NaN where absent.
    """

    name: str
    page: str
    record: dict
    iou: dict[str, np.ndarray]
    label_area: np.ndarray

    @property
    def miou(self) -> dict[str, float]:
        return {key: _nan(self.record[key]["mIoU"]) for key, _, _ in MAPS}

    @property
    def gain(self) -> float:
        return _nan(self.record["gain_mIoU"])


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


@dataclass
class EvaluationTally:
    """The evaluation of a build so far: every evaluated image, the ones left out, the sums."""

    source: GroundTruthSource
    names: list[str]
    images: list[ImageScores] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)  # image name -> one-line reason
    confusion: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, evaluation: ImageEvaluation, page: str) -> None:
        """Count one evaluated image whose page is ``page``."""
        for key, _, _ in MAPS:
            matrix = getattr(evaluation, key).confusion
            self.confusion[key] = self.confusion.get(key, 0) + matrix
        self.images.append(
            ImageScores(
                name=evaluation.name,
                page=page,
                record=image_record(evaluation, self.names, confusion=False),
                iou={key: getattr(evaluation, key).iou.copy() for key, _, _ in MAPS},
                label_area=evaluation.final.label_area.copy(),
            )
        )

    def leave_out(self, image_name: str, reason: str) -> None:
        self.left_out[image_name] = reason

    def dataset(self) -> dict[str, Scores] | None:
        """Both maps' scores over every evaluated image (summed matrices), or None if none was."""
        if not self.images:
            return None
        return {key: scores_from_confusion(self.confusion[key]) for key, _, _ in MAPS}


# --- Pages ------------------------------------------------------------------------------------------


def _count_text(tally: EvaluationTally, total: int) -> str:
    return f"{len(tally.images):,} of {total:,} image{'' if total == 1 else 's'} evaluated against ground truth"


def metrics_json(tally: EvaluationTally, total_images: int) -> bytes:
    """``metrics.json``: the settings, the dataset's scores and matrices, every image's scores."""
    dataset = tally.dataset()
    record = {
        "schema_version": SCHEMA_VERSION,
        "ground_truth": tally.source.describe(),
        "classes": tally.names,
        "images": {
            "with_pages": total_images,
            "evaluated": len(tally.images),
            "left_out": [{"image": name, "reason": reason} for name, reason in tally.left_out.items()],
        },
        "maps": {key: label for key, label, _ in MAPS},
        "dataset": None
        if dataset is None
        else {
            **{key: scores_record(dataset[key], tally.names, confusion=True) for key, _, _ in MAPS},
            "gain_mIoU": _number(dataset["final"].miou - dataset["sclip"].miou),
        },
        "per_image": [image.record for image in tally.images],
    }
    return (json.dumps(record, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _summary_rows(scores: dict[str, Scores]) -> list[dict]:
    return [
        {"key": key, "label": label, "miou": _number(s.miou), "macc": _number(s.macc), "aacc": _number(s.aacc)}
        for (key, label, _), s in zip(MAPS, (scores["sclip"], scores["final"]))
    ]


def index_context(tally: EvaluationTally, total_images: int, href) -> dict:
    """The index's evaluation panel: both mIoUs, the figures, the images left out.

    ``href(target)`` makes a site-root path relative to the index.
    """
    dataset = tally.dataset()
    context = {
        "count_text": _count_text(tally, total_images),
        "left_out": [{"name": name, "reason": reason} for name, reason in tally.left_out.items()],
        "metrics_href": href(METRICS_FILE),
        "summary": None,
        "figures": None,
    }
    if dataset is not None:
        context["summary"] = _summary_rows(dataset)
        context["gain"] = _number(dataset["final"].miou - dataset["sclip"].miou)
        context["figures"] = {
            "iou": plot_class_iou(tally.names, dataset["sclip"], dataset["final"]),
            "confusion": plot_confusion(tally.names, dataset["sclip"], dataset["final"]),
        }
    return context


def card_numbers(tally: EvaluationTally) -> dict[str, dict]:
    """Each image's numbers for its index card (text and sort keys), by image name.

    ``sclip``, ``final`` (mIoU) and ``gain``, None for an image left out; ``left_out`` is the
    reason it was, None for an evaluated image.
    """
    numbers = {name: {"sclip": None, "final": None, "gain": None, "left_out": reason} for name, reason in tally.left_out.items()}
    for image in tally.images:
        miou = image.miou
        numbers[image.name] = {
            "sclip": _number(miou["sclip"]), "final": _number(miou["final"]), "gain": _number(image.gain), "left_out": None
        }
    return numbers


def image_context(evaluated: EvaluatedImage | None, left_out: str | None, names: list[str], picture_href: str | None) -> dict:
    """An image page's evaluation section: the picture, both maps' numbers, one row per class."""
    if evaluated is None:
        return {"left_out": left_out}
    evaluation = evaluated.evaluation
    classes = shown_classes(evaluation.sclip, evaluation.final)
    rows = []
    for c in classes:
        sclip, final = evaluation.sclip.iou[c], evaluation.final.iou[c]
        rows.append(
            {
                "name": names[c],
                "href": None,
                "label_area": int(evaluation.final.label_area[c]),
                "sclip": _number(sclip),
                "final": _number(final),
                "gain": _number(final - sclip) if not (math.isnan(sclip) or math.isnan(final)) else None,
            }
        )
    return {
        "left_out": None,
        "picture": picture_href,
        "ground_truth": evaluation.ground_truth,
        "summary": _summary_rows({"sclip": evaluation.sclip, "final": evaluation.final}),
        "gain": _number(evaluation.gain),
        "evaluated_pixels": evaluation.final.pixels,
        "ignored_pixels": evaluation.ignored_pixels,
        "unmapped_pixels": sum(n for _, n in evaluation.unmapped),
        "rows": rows,
    }


def class_context(tally: EvaluationTally, index: int, total_images: int, href) -> dict:
    """A class page's evaluation: the class's dataset IoU for both maps, and its IoU per image,
    worst final IoU first (images where the class is absent from both sides have no IoU and are
    only counted)."""
    dataset = tally.dataset()
    rows = []
    for image in tally.images:
        final, sclip = image.iou["final"][index], image.iou["sclip"][index]
        if math.isnan(final) and math.isnan(sclip):
            continue
        rows.append(
            {
                "name": image.name,
                "href": href(image.page),
                "label_area": int(image.label_area[index]),
                "sclip": _number(sclip),
                "final": _number(final),
                "gain": None if math.isnan(final) or math.isnan(sclip) else _number(final - sclip),
            }
        )
    rows.sort(key=lambda row: (math.inf if row["final"] is None else row["final"], row["name"]))
    return {
        "count_text": _count_text(tally, total_images),
        "dataset": None
        if dataset is None
        else {key: _number(dataset[key].iou[index]) for key, _, _ in MAPS},
        "rows": rows,
        "absent": len(tally.images) - len(rows),
    }


def image_part(
    evaluated: EvaluatedImage | None, left_out: str | None, names: list[str], folder: str, href
) -> tuple[dict[str, bytes], dict, dict | None]:
    """What evaluation adds to one image's pages: files, the page's context, the statistics entry.

    Parameters
    ----------
    evaluated : EvaluatedImage or None
        None when the image was left out (``left_out`` says why).
    folder : str
        The image's folder in the site (``images/<slug>``).
    href : callable
        Makes a site-root path relative to the image page.

    Returns
    -------
    files : dict of str to bytes
        ``<folder>/evaluation.jpg`` when evaluated.
    context : dict
        The image page's ``evaluation`` (see ``image_context``).
    record : dict or None
        The ``evaluation`` entry of the image's ``statistics.json`` (with confusion matrices).
    """
    if evaluated is None:
        return {}, image_context(None, left_out, names, None), None
    path = f"{folder}/{PICTURE_NAME}"
    record = image_record(evaluated.evaluation, names, confusion=True)
    return {path: evaluated.picture}, image_context(evaluated, None, names, href(path)), record
