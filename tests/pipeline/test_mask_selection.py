"""Stage 10 streamed: the same choices as selecting after all of SAM's answers are in."""

import numpy as np
import pytest

from sitegen.pipeline.final_segmentation import paint_final
from sitegen.pipeline.mask_selection import best_candidates, select_streamed, shown_candidate_prompts
from sitegen.pipeline.overlap_resolution import resolve_overlaps
from sitegen.records import SamPrompt, Suppression

HEIGHT, WIDTH = 12, 21  # a width that is not a multiple of eight


def test_highest_score_wins_and_ties_go_to_the_lowest_index():
    scores = np.array([[0.1, 0.7, 0.3], [0.5, 0.5, 0.2], [0.2, 0.9, 0.9], [0.4, 0.4, 0.4]], np.float32)
    best = best_candidates(scores)
    assert best.tolist() == [1, 0, 1, 0] and best.dtype == np.int64


def test_shown_prompts_are_the_most_confident_regions_with_ties_to_the_lower_index():
    prompts = _prompts([0.5, 0.9, 0.5, 0.7, 0.5], [0] * 5)
    assert shown_candidate_prompts(prompts, 2) == (1, 3)
    assert shown_candidate_prompts(prompts, 3) == (0, 1, 3)
    assert shown_candidate_prompts(prompts, 4) == (0, 1, 2, 3)
    assert shown_candidate_prompts(prompts, 9) == (0, 1, 2, 3, 4)


def _prompts(confidences, classes):
    return tuple(
        SamPrompt(i, i + 1, c, conf, np.array([[1, 1]], np.float32), np.ones(1, np.int32))
        for i, (conf, c) in enumerate(zip(confidences, classes))
    )


def _sam_outputs():
    """Nine prompts of two classes with tied confidences, tied scores and repeated masks.

    Prompts 0, 3 and 6 (class 0) get the same best mask, so two of them are suppressed; prompt 5
    has one empty candidate; prompt 7's three candidates tie.
    """
    rng = np.random.default_rng(11)
    masks = rng.random((9, 3, HEIGHT, WIDTH)) < 0.3
    scores = rng.uniform(0.2, 0.9, (9, 3)).astype(np.float32)
    scores[1] = [0.6, 0.6, 0.1]  # tie between 0 and 1: candidate 0
    scores[2] = [0.3, 0.8, 0.8]  # tie between 1 and 2: candidate 1
    scores[7] = 0.5  # all three tie: candidate 0
    shared = rng.random((HEIGHT, WIDTH)) < 0.5
    for p in (0, 3, 6):
        scores[p] = [0.2, 0.95, 0.4]
        masks[p, 1] = shared
    masks[5, 2] = False
    confidences = [0.8, 0.6, 0.6, 0.8, 0.7, 0.6, 0.5, 0.9, 0.6]
    classes = [0, 1, 1, 0, 1, 0, 0, 1, 1]
    return _prompts(confidences, classes), masks, scores


def _plain_select(masks, scores):
    """Today's rule, spelled out: all candidates in, then per prompt the first highest score."""
    best = []
    for row in scores:
        k_best = 0
        for k in range(1, 3):
            if row[k] > row[k_best]:
                k_best = k
        best.append(k_best)
    return np.array(best), np.stack([masks[p, k] for p, k in enumerate(best)])


def _plain_overlaps(prompts, chosen, threshold):
    kept, suppressed = [], []
    for c in sorted({p.class_index for p in prompts}):
        kept_here = []
        for p in sorted((p for p in prompts if p.class_index == c), key=lambda p: (-p.confidence, p.index)):
            best_iou, winner = 0.0, None
            for k in kept_here:
                union = np.logical_or(chosen[p.index], chosen[k]).sum()
                iou = np.logical_and(chosen[p.index], chosen[k]).sum() / union if union else 0.0
                if winner is None or iou > best_iou:
                    best_iou, winner = iou, k
            if winner is not None and best_iou > threshold:
                suppressed.append(Suppression(p.index, winner, float(best_iou)))
            else:
                kept_here.append(p.index)
        kept += kept_here
    return tuple(kept), tuple(suppressed)


def _plain_final(prediction, prompts, chosen, kept):
    labels, source = prediction.copy(), np.full(prediction.shape, -1)
    for i in sorted(kept, key=lambda i: (prompts[i].confidence, -i)):
        labels[chosen[i]], source[chosen[i]] = prompts[i].class_index, i
    return labels, source


@pytest.mark.parametrize("batches", [[[0, 1, 2, 3, 4, 5, 6, 7, 8]], [[8], [2, 5], [0, 7, 1], [6, 3, 4]]])
def test_streamed_selection_equals_selecting_after_every_answer(batches):
    prompts, masks, scores = _sam_outputs()
    shown = shown_candidate_prompts(prompts, 4)
    assert shown == (0, 3, 4, 7)  # confidence 0.9, 0.8, 0.8, 0.7
    stream = ((b, masks[b], scores[b]) for b in batches)
    candidates, selection = select_streamed(prompts, stream, (HEIGHT, WIDTH), shown)

    best, chosen = _plain_select(masks, scores)
    assert selection.best.tolist() == best.tolist()
    assert best[[1, 2, 7]].tolist() == [0, 1, 0]  # the ties
    assert np.array_equal(selection.masks[:], chosen)
    assert selection.scores.tolist() == scores[np.arange(9), best].tolist()
    np.testing.assert_array_equal(candidates.scores, scores)
    # Only the shown prompts keep their candidates, each exactly, whatever its crop.
    assert candidates.masks.prompts == shown
    for p in shown:
        assert np.array_equal(candidates.masks[p], masks[p])
    with pytest.raises(KeyError, match="prompt 1"):
        candidates.masks[1]

    overlap = resolve_overlaps(candidates, selection, 0.8)
    kept, suppressed = _plain_overlaps(prompts, chosen, 0.8)
    assert overlap.kept == kept and overlap.suppressed == suppressed
    assert {(s.prompt_index, s.winner_index) for s in suppressed} == {(3, 0), (6, 0)}

    prediction = (np.arange(HEIGHT * WIDTH).reshape(HEIGHT, WIDTH) % 2).astype(np.int32)
    final = paint_final(prediction, candidates, selection, overlap)
    labels, source = _plain_final(prediction, prompts, chosen, kept)
    assert np.array_equal(final.labels, labels) and np.array_equal(final.source, source)


def test_no_prompts_gives_an_empty_selection():
    candidates, selection = select_streamed((), (), (4, 5), ())
    assert selection.best.shape == (0,) and selection.masks.shape == (0, 4, 5) and selection.scores.shape == (0,)
    assert candidates.scores.shape == (0, 3) and candidates.masks.prompts == ()


def test_a_prompt_sam_never_answered_is_reported():
    prompts, masks, scores = _sam_outputs()
    with pytest.raises(ValueError, match="answered 2 of 9 prompts"):
        select_streamed(prompts, [([0, 1], masks[:2], scores[:2])], (HEIGHT, WIDTH), ())
