import numpy as np
import pytest

from sitegen.errors import SitegenError
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

    def batch_bytes(self, height, width):
        return 3 * height * width

    def predict(self, points, labels):
        self.calls.append(("predict", [p.tolist() for p in points], [lab.tolist() for lab in labels]))
        height, width = self.image.shape[:2]
        masks = np.zeros((len(points), self.mask_count, height, width), bool)
        for i in range(len(points)):
            for j in range(self.mask_count):
                masks[i, j, i % height, j:] = True
        scores = np.arange(len(points) * self.mask_count, dtype=np.float64).reshape(len(points), -1) / 10
        # Two batches, the second first: the stage must place each answer by its indices.
        order = [list(range(1, len(points))), [0]]
        return [(indices, masks[indices], scores[indices]) for indices in order if indices]


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


def test_prompt_sam_embeds_once_and_keeps_the_best_mask_of_every_prompt():
    rgb = np.zeros((4, 5, 3), np.uint8)
    prompts = build_prompts(REGIONS, "separate")
    predictor = StubPredictor()
    candidates, selection = prompt_sam(predictor, rgb, prompts)
    assert predictor.calls == [
        "set_image",
        ("predict", [[[1, 1], [9, 9]], [[4, 2], [9, 9]], [[7, 0]]], [[1, 0], [1, 0], [1]]),
    ]
    assert candidates.prompts == prompts
    # All three prompts are among the 60 shown: their candidates are kept, cropped to their row.
    assert candidates.masks.prompts == (0, 1, 2)
    assert candidates.masks.boxes.tolist() == [[0, 0, 5, 1], [0, 1, 5, 2], [0, 2, 5, 3]]
    assert candidates.masks[2].shape == (3, 4, 5) and candidates.masks[2].dtype == bool
    assert candidates.masks[2, 1].tolist()[2] == [False, True, True, True, True]
    assert candidates.masks[2, 1, 2, 1:3].tolist() == [True, True]
    assert candidates.scores.dtype == np.float32
    np.testing.assert_allclose(candidates.scores, np.arange(9).reshape(3, 3) / 10)
    # The last candidate scores highest: it covers columns 2.. of row i.
    assert selection.best.tolist() == [2, 2, 2]
    assert selection.masks.shape == (3, 4, 5)
    assert selection.masks[1].astype(int).tolist() == [[0] * 5, [0, 0, 1, 1, 1], [0] * 5, [0] * 5]
    np.testing.assert_allclose(selection.scores, [0.2, 0.5, 0.8])


def test_no_prompts_never_calls_sam():
    predictor = StubPredictor()
    candidates, selection = prompt_sam(predictor, np.zeros((4, 5, 3), np.uint8), ())
    assert predictor.calls == []
    assert candidates.prompts == () and candidates.masks.prompts == ()
    assert candidates.scores.shape == (0, 3) and candidates.scores.dtype == np.float32
    assert selection.masks.shape == (0, 4, 5) and selection.best.shape == (0,)


def test_predictor_returning_the_wrong_shape_is_reported():
    with pytest.raises(ValueError, match="expected"):
        prompt_sam(StubPredictor(mask_count=1), np.zeros((4, 5, 3), np.uint8), build_prompts(REGIONS, "joint"))


def test_too_many_masks_stop_with_the_estimate_from_the_first_masks(monkeypatch):
    from sitegen.pipeline import mask_selection, sam_prompting

    # The stub's first batch answers prompts 1 and 2. Each deflated mask is 4 bytes here, and the
    # three candidates of a shown prompt 12: 2 x 16 = 32 bytes for 2 of 3 prompts project to
    # 48, plus the stub's batch of 60: 108 bytes.
    monkeypatch.setattr(mask_selection, "deflate_mask", lambda mask: bytes(4))
    monkeypatch.setattr(mask_selection, "crop_packed", lambda masks: ((0, 0, 0, 0), FourBytesEach(len(masks))))
    monkeypatch.setattr(sam_prompting, "MAX_MASK_BYTES", 107)
    predictor = StubPredictor()
    prompts = build_prompts(REGIONS, "separate")
    message = r"^3 SAM prompts at 5x4 px would keep an estimated 0\.0 GiB of masks \(the first 2 keep 0 MiB; .*--min-region-size"
    with pytest.raises(SitegenError, match=message):
        prompt_sam(predictor, np.zeros((4, 5, 3), np.uint8), prompts)
    monkeypatch.setattr(sam_prompting, "MAX_MASK_BYTES", 108)
    assert len(prompt_sam(predictor, np.zeros((4, 5, 3), np.uint8), prompts)[1].best) == 3


class FourBytesEach:
    """A stand-in for packed candidate crops whose size the test sets."""

    def __init__(self, count):
        self.nbytes = 4 * count


def test_the_projection_waits_for_a_tenth_of_the_prompts():
    from sitegen.pipeline.sam_prompting import projected_bytes

    assert projected_bytes(10**9, 9, 100, 0) is None
    assert projected_bytes(10**9, 10, 100, 5) == 10**10 + 5
    assert projected_bytes(0, 0, 0, 5) is None
