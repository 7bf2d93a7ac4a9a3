"""The funnel against the stage records, one designed run per stage that can lose a class.

Each run goes through the real stages 3-12 (``run_stages``) from hand-made probabilities, with a
stub SAM whose mask for a prompt is the hand-drawn object under its first point. A missed class's
suggested option values are then checked by running the stages again with them.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from sitegen.options import ModelOptions, PipelineOptions
from sitegen.pipeline.funnel import compute_funnel, funnel_counts
from sitegen.pipeline.run import run_stages
from sitegen.records import ClassSpec, DenseSimilarity, LoadedImage, Vocabulary

HEIGHT, WIDTH = 20, 30
CAT, DOG, BACKGROUND = 0, 1, 2
VOCABULARY = Vocabulary(tuple(ClassSpec(i, name, (name,)) for i, name in enumerate(("cat", "dog", "background"))))
#: logit scale 1 on log-probability cosines gives back the probabilities (they sum to 1 per pixel).
OPTIONS = PipelineOptions(logit_scale=1.0, min_confidence=0.3, min_region_size=20)


class ObjectSam:
    """SAM stand-in: every candidate of a prompt is the object (of ``objects``) under its first point."""

    def __init__(self, objects: np.ndarray):
        self.objects = objects

    def set_image(self, rgb):
        pass

    def batch_bytes(self, height, width):
        return 3 * height * width

    def mask_at(self, x: int, y: int) -> np.ndarray:
        """(H, W) bool: the answer to a prompt whose first point is at (x, y)."""
        obj = self.objects[y, x]
        return (self.objects == obj) if obj > 0 else np.zeros(self.objects.shape, bool)

    def predict(self, points, labels):
        """All prompts in one batch (indices, (P, 3, H, W) masks, (P, 3) scores)."""
        masks = []
        for prompt in points:
            mask = self.mask_at(*np.round(prompt[0]).astype(int))
            masks.append(np.stack([mask, mask, mask]))
        masks = np.array(masks, bool).reshape(len(points), 3, *self.objects.shape)
        yield list(range(len(points))), masks, np.tile(np.array([0.5, 0.9, 0.7], np.float32), (len(points), 1))


@dataclasses.dataclass
class StubModels:
    sam: ObjectSam
    options: ModelOptions = ModelOptions()


def scene(boxes: dict[int, tuple[tuple[int, int, int, int], float | np.ndarray]]) -> np.ndarray:
    """(H, W, 3) float32 probabilities summing to 1: background 0.8, each box's class at its p."""
    probs = np.zeros((HEIGHT, WIDTH, 3), np.float32)
    probs[...] = (0.1, 0.1, 0.8)
    for c, ((y0, y1, x0, x1), p) in boxes.items():
        p = np.broadcast_to(np.asarray(p, np.float32), (y1 - y0, x1 - x0))
        rest = (1 - p) / 2
        probs[y0:y1, x0:x1] = np.stack([rest, rest, rest], axis=-1)
        probs[y0:y1, x0:x1, c] = p
    return probs


def run(probabilities: np.ndarray, objects: np.ndarray, options: PipelineOptions = OPTIONS):
    similarity = DenseSimilarity(np.log(probabilities), np.zeros((0, 4), np.int32), (WIDTH, HEIGHT))
    image = LoadedImage("scene.png", np.zeros((HEIGHT, WIDTH, 3), np.uint8), (WIDTH, HEIGHT))
    return run_stages(image, VOCABULARY, similarity, StubModels(ObjectSam(objects)), options, ("{}",), {})


def objects_of(**boxes: tuple[int, int, int, int]) -> np.ndarray:
    """(H, W) int objects map: object i+1 is the i-th box (y0, y1, x0, x1)."""
    objects = np.zeros((HEIGHT, WIDTH), np.int64)
    for i, (y0, y1, x0, x1) in enumerate(boxes.values()):
        objects[y0:y1, x0:x1] = i + 1
    return objects


def expected_counts(result) -> np.ndarray:
    """The funnel computed straight from the records, class by class, with plain loops."""
    rows = []
    prompts = result.candidates.prompts
    for c in range(len(result.vocabulary)):
        own = [p.index for p in prompts if p.class_index == c]
        non_empty = [i for i in own if result.selection.masks[i].any()]
        rows.append(
            [
                int((result.dense.prediction == c).sum()),
                int(((result.dense.prediction == c) & result.thresholding.passing).sum()),
                sum(r.class_index == c for r in result.components.regions),
                sum(r.class_index == c for r in result.size_filter.kept),
                len(own),
                len(non_empty),
                sum(i in result.overlap.kept for i in non_empty),
                int((result.final.labels == c).sum()),
            ]
        )
    return np.array(rows)


def funnel_of(result, c: int):
    funnel = compute_funnel(result)
    assert [f.name for f in funnel] == VOCABULARY.names
    np.testing.assert_array_equal(funnel_counts(result), expected_counts(result))
    return funnel[c]


DOG_BOX = (2, 12, 2, 12)  # 100 px
CAT_BOX = (4, 14, 16, 26)  # 100 px


def test_a_found_class_counts_every_stage_and_is_not_missed():
    # Two cat boxes of one SAM object: the less confident one's mask is suppressed.
    probs = scene({DOG: (DOG_BOX, 0.9), CAT: (CAT_BOX, 0.7)})
    probs[4:14, 20] = (0.15, 0.15, 0.7)  # a background column splits the cat into 40 + 50 px
    probs[4:14, 21:26, CAT], probs[4:14, 21:26, DOG] = 0.6, 0.2
    options = dataclasses.replace(OPTIONS, points_per_cluster=2, prompt_mode="separate")
    result = run(probs, objects_of(dog=DOG_BOX, cat=CAT_BOX), options)
    cat = funnel_of(result, CAT)
    assert cat.counts == (90, 90, 2, 2, 4, 4, 1, 100)
    assert cat.miss is None
    assert funnel_of(result, DOG).counts == (100, 100, 1, 1, 2, 2, 1, 100)
    assert funnel_of(result, BACKGROUND).counts[:2] == (410, 410)


def test_a_class_that_never_wins_the_argmax_is_lost_there_and_no_option_helps():
    probs = scene({DOG: (DOG_BOX, 0.9)})
    probs[15:18, 15:18] = (0.3, 0.1, 0.6)  # cat at 0.3 where the background wins
    cat = funnel_of(run(probs, objects_of(dog=DOG_BOX)), CAT)
    assert cat.counts == (0,) * 8
    assert cat.miss.stage == "argmax" and cat.miss.step == "05_confidence_maps" and cat.miss.changes == {}
    assert cat.miss.sentence.startswith("cat: wins the argmax at no pixel (its highest probability is 0.30")


def test_a_class_below_min_confidence_gets_the_highest_threshold_that_lets_it_through():
    # The cat wins its box with 0.34 at the left edge rising to 0.43 at the right (0.01 per column).
    ramp = np.broadcast_to(np.float32(0.34) + np.float32(0.01) * np.arange(10, dtype=np.float32), (10, 10))
    probs = scene({DOG: (DOG_BOX, 0.9), CAT: (CAT_BOX, ramp)})
    objects = objects_of(dog=DOG_BOX, cat=CAT_BOX)
    options = dataclasses.replace(OPTIONS, min_confidence=0.5, min_region_size=25)
    result = run(probs, objects, options)
    cat = funnel_of(result, CAT)
    assert cat.counts == (100, 0, 0, 0, 0, 0, 0, 100)
    miss = cat.miss
    assert (miss.stage, miss.step) == ("passing", "08_thresholding")
    # 25 px need three columns: the ones at 0.41, 0.42, 0.43 (30 px).
    assert miss.changes == {"min-confidence": 0.41}
    assert miss.sentence == (
        "cat: its highest winning probability is 0.43, below min_confidence 0.5; 30 px would pass at 0.41, "
        "the highest value that gives it a region of min_region_size 25 px."
    )
    through = run(probs, objects, dataclasses.replace(options, min_confidence=0.41))
    assert funnel_of(through, CAT).counts == (100, 30, 1, 1, 1, 1, 1, 100)
    assert funnel_of(through, CAT).miss is None
    # 0.42 would not do: its 20 px are dropped by size.
    assert funnel_of(run(probs, objects, dataclasses.replace(options, min_confidence=0.42)), CAT).miss.stage == "kept_regions"


def test_a_class_whose_winning_pixels_are_too_few_gets_both_options():
    probs = scene({DOG: (DOG_BOX, 0.9), CAT: ((15, 18, 15, 18), 0.4)})  # 9 px at 0.4
    objects = objects_of(dog=DOG_BOX, cat=(15, 18, 15, 18))
    options = dataclasses.replace(OPTIONS, min_confidence=0.5)
    miss = funnel_of(run(probs, objects, options), CAT).miss
    assert miss.stage == "passing" and miss.changes == {"min-confidence": 0.4, "min-region-size": 9}
    assert "9 px would pass at 0.40, in regions of at most 9 px (below min_region_size 20 at any threshold)" in miss.sentence
    through = run(probs, objects, dataclasses.replace(options, min_confidence=0.4, min_region_size=9))
    assert funnel_of(through, CAT).counts == (9, 9, 1, 1, 1, 1, 1, 9)


def test_a_class_whose_regions_are_all_too_small_gets_the_size_that_keeps_one():
    small = {CAT: ((15, 18, 15, 18), 0.9)}  # 9 px
    probs = scene({DOG: (DOG_BOX, 0.9), **small})
    probs[15:17, 24:26] = (0.9, 0.05, 0.05)  # and 4 px more, apart
    objects = objects_of(dog=DOG_BOX, cat=(15, 18, 15, 18))
    cat = funnel_of(run(probs, objects), CAT)
    assert cat.counts == (13, 13, 2, 0, 0, 0, 0, 13)
    assert (cat.miss.stage, cat.miss.step) == ("kept_regions", "10_size_filter")
    assert cat.miss.sentence == "cat: its 2 regions have at most 9 px, below min_region_size 20; min-region-size 9 keeps 1 region."
    assert cat.miss.changes == {"min-region-size": 9}
    through = run(probs, objects, dataclasses.replace(OPTIONS, min_region_size=9))
    assert funnel_of(through, CAT).counts == (13, 13, 2, 1, 1, 1, 1, 13)


def test_a_class_that_sam_answers_with_empty_masks_is_lost_at_the_masks():
    probs = scene({DOG: (DOG_BOX, 0.9), CAT: (CAT_BOX, 0.9)})
    cat = funnel_of(run(probs, objects_of(dog=DOG_BOX)), CAT)  # no object under the cat
    assert cat.counts == (100, 100, 1, 1, 1, 0, 0, 100)
    assert (cat.miss.stage, cat.miss.step, cat.miss.changes) == ("masks", "15_mask_selection", {})
    assert cat.miss.sentence.startswith("cat: SAM returned an empty mask for each of its 1 prompt;")


def test_a_class_painted_over_by_a_more_confident_mask_is_lost_in_the_final_map():
    probs = scene({DOG: (DOG_BOX, 0.9), CAT: ((5, 9, 5, 9), 0.8)})  # the cat sits inside the dog
    objects = objects_of(dog=DOG_BOX)  # SAM sees one object for both
    result = run(probs, objects, dataclasses.replace(OPTIONS, min_region_size=16))
    cat = funnel_of(result, CAT)
    assert cat.counts == (16, 16, 1, 1, 1, 1, 1, 0)
    assert (cat.miss.stage, cat.miss.step) == ("final", "17_final_segmentation")
    assert cat.miss.sentence == (
        "cat: its 1 kept mask (100 px) is painted over by more confident masks of dog "
        "(region confidence 0.90 against 0.80); no option changes that."
    )

