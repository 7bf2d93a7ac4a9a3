"""The data files of a run: ``confidences.npy``, ``prompts.json``, ``statistics.json``.

These functions turn a ``PipelineResult`` into JSON-able dicts and bytes; they write nothing.
The schemas are documented in the README ("Data files") and checked by tests. Floats are
rounded so the files stay small and diff well; coordinates are XY pixels of the original image.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence

import numpy as np

from sitegen import __version__
from sitegen.class_scores import CHUNK_VALUES
from sitegen.records import PipelineResult

SCHEMA_VERSION = 1


def _r(value: float, digits: int = 4) -> float:
    return round(float(value), digits)


def _points(array: np.ndarray) -> list[list[float]]:
    return [[_r(x, 2), _r(y, 2)] for x, y in np.asarray(array, dtype=np.float64).reshape(-1, 2)]


def confidences_npy(result: PipelineResult) -> bytearray:
    """``data/confidences.npy``: the (H, W, C) float32 class probabilities in NumPy's format.

    Filled band by band into the one buffer that is written out, so a large image holds its
    maps once (a 6000x4000 image with 20 classes: 1.9 GB) rather than as an array, a saved copy
    and the bytes of that copy.
    """
    scores = result.dense.scores
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": scores.shape})
    start = len(header.getvalue())
    buffer = bytearray(start + 4 * int(np.prod(scores.shape)))
    buffer[:start] = header.getvalue()
    maps = np.frombuffer(buffer, np.float32, offset=start).reshape(scores.shape)
    for rows, _, probabilities in scores.bands():
        maps[rows] = probabilities.transpose(1, 2, 0)
    return buffer


#: The site's probabilities keep every ``PROBABILITY_STRIDE``-th pixel of every such row.
PROBABILITY_STRIDE = 2


def compact_probabilities_npz(result: PipelineResult, classes: Sequence[int] | None = None) -> bytes:
    """The site's download: probabilities quantised to uint8 (p = q / 255) in a compressed npz.

    Arrays: ``probabilities`` (K, ceil(H / 2), ceil(W / 2)) uint8, one plane per class, the
    probabilities at pixels (2i, 2j); ``class_indices`` (K,) the vocabulary index of each plane
    (every class, or only ``classes``); ``prediction`` (H, W) SCLIP argmax and ``final`` (H, W)
    final class map, uint8 up to 256 classes (else uint16); ``class_names`` (C,) str, every class.

    Why every second pixel: SCLIP's maps change at the scale of its 16 px patches (18 px of a
    500 x 375 photo), so the other three pixels of each 2 x 2 block add bytes but no information,
    and the probability planes are most of a dataset site's data (a quarter of 272 kB for a VOC
    photo with 21 classes). Why class planes: a plane is smooth where the (H, W, C) interleaving
    is not, and deflates to 70 % of its bytes. Why ``classes``: a site of a 171-class vocabulary
    keeps the planes of the classes its pages show (260 kB -> 40 kB a photo). The full float32
    maps of every class are ``confidences.npy``.
    """
    scores = result.dense.scores
    height, width, total = scores.shape
    kept = np.arange(total) if classes is None else np.asarray(sorted(classes), dtype=np.int64)
    rows, cols = np.arange(0, height, PROBABILITY_STRIDE), np.arange(0, width, PROBABILITY_STRIDE)
    quantised = np.empty((len(kept), len(rows), len(cols)), np.uint8)
    step = max(1, CHUNK_VALUES // max(1, len(cols) * total))
    for start in range(0, len(rows), step):
        band = scores.probabilities_at(rows[start : start + step], cols)[..., kept]  # (rows, W / 2, K)
        quantised[:, start : start + step] = np.rint(np.clip(band, 0.0, 1.0) * np.float32(255.0)).transpose(2, 0, 1)
    labels = np.uint8 if total <= 256 else np.uint16
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        probabilities=quantised,
        class_indices=kept.astype(labels),
        prediction=result.dense.prediction.astype(labels),
        final=result.final.labels.astype(labels),
        class_names=np.array(result.vocabulary.names, dtype=str),
    )
    return buffer.getvalue()


def prompts_record(result: PipelineResult) -> dict:
    """Regions with their positive/negative points, and every SAM prompt with its outcome."""
    names = result.vocabulary.names
    regions_by_id = {r.id: r for r in result.size_filter.kept}
    suppressed = {s.prompt_index: s for s in result.overlap.suppressed}
    kept = set(result.overlap.kept)
    regions = []
    for points in result.points:
        region = regions_by_id[points.region_id]
        regions.append(
            {
                "region_id": region.id,
                "class_index": region.class_index,
                "class_name": names[region.class_index],
                "size": region.size,
                "bbox": list(region.bbox),
                "centroid": [_r(region.centroid[0], 2), _r(region.centroid[1], 2)],
                "confidence": _r(region.confidence),
                "positive": _points(points.positive),
                "negative": _points(points.negative),
                "negative_classes": [int(c) for c in points.negative_classes],
                "negative_candidates": int(points.negative_candidates),
            }
        )
    prompts = []
    for prompt in result.candidates.prompts:
        i = prompt.index
        loss = suppressed.get(i)
        prompts.append(
            {
                "index": i,
                "region_id": prompt.region_id,
                "class_index": prompt.class_index,
                "class_name": names[prompt.class_index],
                "confidence": _r(prompt.confidence),
                "points": _points(prompt.points),
                "labels": [int(v) for v in prompt.labels],
                "scores": [_r(s) for s in result.candidates.scores[i]],
                "best": int(result.selection.best[i]),
                "best_score": _r(result.selection.scores[i]),
                "kept": i in kept,
                "suppressed_by": None if loss is None else loss.winner_index,
                "iou": None if loss is None else _r(loss.iou),
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "image": result.image.name,
        "coordinates": "xy pixels of the original image",
        "prompt_mode": result.options.prompt_mode,
        "regions": regions,
        "prompts": prompts,
    }


def class_statistics(result: PipelineResult) -> list[dict]:
    """Per class: pixels, regions, prompts, masks, mean confidence and areas."""
    num_classes = len(result.vocabulary)
    dense, final = result.dense, result.final
    predicted = np.bincount(dense.prediction.ravel(), minlength=num_classes)
    confidence_sum = np.bincount(
        dense.prediction.ravel(), weights=dense.confidence.ravel(), minlength=num_classes
    )
    final_area = np.bincount(final.labels.ravel(), minlength=num_classes)
    total = final.labels.size
    kept = set(result.overlap.kept)
    rows = []
    for spec in result.vocabulary.classes:
        c = spec.index
        prompts = [p for p in result.candidates.prompts if p.class_index == c]
        points = [p for p in result.points if p.class_index == c]
        rows.append(
            {
                "index": c,
                "name": spec.name,
                "queries": list(spec.queries),
                "sclip_pixels": int(predicted[c]),
                "mean_confidence": _r(confidence_sum[c] / predicted[c]) if predicted[c] else None,
                "passing_pixels": int(result.thresholding.pixels_per_class[c]),
                "regions": sum(r.class_index == c for r in result.components.regions),
                "regions_kept": sum(r.class_index == c for r in result.size_filter.kept),
                "regions_dropped": sum(r.class_index == c for r in result.size_filter.dropped),
                "positive_points": int(sum(len(p.positive) for p in points)),
                "negative_points": int(sum(len(p.negative) for p in points)),
                "prompts": len(prompts),
                "masks_kept": sum(p.index in kept for p in prompts),
                "masks_suppressed": sum(p.index not in kept for p in prompts),
                "final_pixels": int(final_area[c]),
                "final_fraction": _r(final_area[c] / total),
            }
        )
    return rows


def statistics(result: PipelineResult) -> dict:
    """Everything about the run: image, models, every parameter, counts per class, timings."""
    image = result.image
    classes = class_statistics(result)
    return {
        "schema_version": SCHEMA_VERSION,
        "sitegen_version": __version__,
        "image": {
            "name": image.name,
            "width": image.width,
            "height": image.height,
            "original_width": image.original_size[0],
            "original_height": image.original_size[1],
            "warnings": list(image.warnings),
        },
        "random_weights": result.models.random_weights,
        "models": result.models.as_dict(),
        "parameters": result.options.as_dict(),
        "prompt_templates": {
            "set": result.options.prompt_templates,
            "count": len(result.prompt_templates),
            "templates": list(result.prompt_templates),
        },
        "sclip": {
            "resized_width": int(result.dense.resized_size[0]),
            "resized_height": int(result.dense.resized_size[1]),
            "windows": int(len(result.dense.windows)),
        },
        "totals": {
            key: sum(row[key] for row in classes)
            for key in (
                "passing_pixels",
                "regions",
                "regions_kept",
                "regions_dropped",
                "positive_points",
                "negative_points",
                "prompts",
                "masks_kept",
                "masks_suppressed",
            )
        },
        "classes": classes,
        "timings_seconds": {k: _r(v) for k, v in result.timings.items()},
    }


_SCALAR = r"(?:-?[0-9.eE+-]+|null|true|false)"
#: A list of numbers, and a list of such lists, as ``json.dumps(indent=2)`` spreads them over lines.
_NUMBERS = re.compile(rf"\[(\s*{_SCALAR}(?:\s*,\s*{_SCALAR})*\s*)\]")
_LISTS_OF_NUMBERS = re.compile(rf"\[((?:\s*\[{_SCALAR}(?:, {_SCALAR})*\],?)+\s*)\]")


def _one_line(match: re.Match) -> str:
    return "[" + " ".join(match.group(1).split()) + "]"


def to_json_bytes(record: dict) -> bytes:
    """Stable, readable JSON: indented objects, each list of numbers (a box, a point, the points
    of a region) on one line. ``indent=2`` alone gave every number a line of its own, which made
    prompts.json three times as long (sorted keys are not used: the schema order reads better).

    >>> print(to_json_bytes({"bbox": [0, 4, 92, 174], "points": [[41.0, 84.0], [86.5, 1e-05]], "n": []}).decode())
    {
      "bbox": [0, 4, 92, 174],
      "points": [[41.0, 84.0], [86.5, 1e-05]],
      "n": []
    }
    <BLANKLINE>
    """
    text = json.dumps(record, indent=2, ensure_ascii=False)
    compact = _LISTS_OF_NUMBERS.sub(_one_line, _NUMBERS.sub(_one_line, text))
    if json.loads(compact) != json.loads(text):  # a string that looked like a list: keep it exact
        compact = text
    return (compact + "\n").encode("utf-8")


def data_files(result: PipelineResult) -> dict[str, bytes]:
    """``sitegen run``'s ``data/`` folder: full float32 probabilities, prompts, statistics."""
    return {
        "data/confidences.npy": confidences_npy(result),
        "data/prompts.json": to_json_bytes(prompts_record(result)),
        "data/statistics.json": to_json_bytes(statistics(result)),
    }
