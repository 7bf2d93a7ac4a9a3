import numpy as np
import pytest

from sitegen.pipeline.sam_prompting import build_prompts, prompt_sam
from sitegen.records import RegionPoints


class StubPredictor:
    """Records calls; mask j of prompt i covers the pixels of row i whose column is >= j."""

    def __init__(self, mask_count=3):
        self.calls = []
        self.mask_count = mask_count
        self.image = None

    def set_image(self, rgb):
        self.calls.append("set_image")
        self.image = rgb

    def predict(self, points, labels):
        self.calls.append(("predict", [p.tolist() for p in points], [lab.tolist() for lab in labels]))
        height, width = self.image.shape[:2]
        masks = np.zeros((len(points), self.mask_count, height, width), bool)
        for i in range(len(points)):
            for j in range(self.mask_count):
                masks[i, j, i % height, j:] = True
        scores = np.arange(len(points) * self.mask_count, dtype=np.float64).reshape(len(points), -1) / 10
        return masks, scores


def region(region_id, class_index, confidence, positive, negative=()):
    negative = np.array(negative, np.float32).reshape(-1, 2)
    return RegionPoints(
        region_id=region_id,
        class_index=class_index,
        confidence=confidence,
        positive=np.array(positive, np.float32),
        negative=negative,
        negative_classes=np.zeros(len(negative), np.int32),
        negative_candidates=len(negative),
    )


REGIONS = (
    region(3, 0, 0.9, [[1, 1], [4, 2]], [[9, 9]]),
    region(5, 2, 0.6, [[7, 0]]),
)


def test_joint_mode_one_prompt_per_region_positives_then_negatives():
    prompts = build_prompts(REGIONS, "joint")
    assert [(p.index, p.region_id, p.class_index, p.confidence) for p in prompts] == [(0, 3, 0, 0.9), (1, 5, 2, 0.6)]
    assert prompts[0].points.tolist() == [[1, 1], [4, 2], [9, 9]]
    assert prompts[0].labels.tolist() == [1, 1, 0]
    assert prompts[1].points.tolist() == [[7, 0]] and prompts[1].labels.tolist() == [1]
    assert prompts[0].points.dtype == np.float32 and prompts[0].labels.dtype == np.int32


def test_separate_mode_one_prompt_per_positive_each_with_the_regions_negatives():
    prompts = build_prompts(REGIONS, "separate")
    assert [(p.index, p.region_id) for p in prompts] == [(0, 3), (1, 3), (2, 5)]
    assert [p.points.tolist() for p in prompts] == [[[1, 1], [9, 9]], [[4, 2], [9, 9]], [[7, 0]]]
    assert [p.labels.tolist() for p in prompts] == [[1, 0], [1, 0], [1]]


def test_unknown_prompt_mode_is_refused():
    with pytest.raises(ValueError, match="prompt_mode"):
        build_prompts(REGIONS, "both")


def test_prompt_sam_embeds_once_and_sends_every_prompt_in_one_batch():
    rgb = np.zeros((4, 5, 3), np.uint8)
    prompts = build_prompts(REGIONS, "separate")
    predictor = StubPredictor()
    candidates = prompt_sam(predictor, rgb, prompts)
    assert predictor.calls == [
        "set_image",
        ("predict", [[[1, 1], [9, 9]], [[4, 2], [9, 9]], [[7, 0]]], [[1, 0], [1, 0], [1]]),
    ]
    assert candidates.prompts == prompts
    assert candidates.masks.shape == (3, 3, 4, 5) and candidates.masks[:].dtype == bool
    assert candidates.masks[2, 1].tolist()[2] == [False, True, True, True, True]
    assert candidates.masks[2, 1, 2, 1:3].tolist() == [True, True]
    assert candidates.scores.dtype == np.float32
    np.testing.assert_allclose(candidates.scores, np.arange(9).reshape(3, 3) / 10)


def test_no_prompts_never_calls_sam():
    predictor = StubPredictor()
    candidates = prompt_sam(predictor, np.zeros((4, 5, 3), np.uint8), ())
    assert predictor.calls == []
    assert candidates.prompts == ()
    assert candidates.masks.shape == (0, 3, 4, 5) and candidates.masks[:].dtype == bool
    assert candidates.scores.shape == (0, 3) and candidates.scores.dtype == np.float32


def test_predictor_returning_the_wrong_shape_is_reported():
    with pytest.raises(ValueError, match="expected"):
        prompt_sam(StubPredictor(mask_count=1), np.zeros((4, 5, 3), np.uint8), build_prompts(REGIONS, "joint"))
