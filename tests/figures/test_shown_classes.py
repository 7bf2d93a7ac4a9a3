"""Which classes the per-class pictures show: the rule on hand-made numbers, and its use in steps 4 and 5."""

import numpy as np

from sitegen.figures.shown_classes import choose_classes, shown_classes, shown_sentence
from sitegen.figures import make_palette
from sitegen.figures.registry import step_info
from sitegen.figures.steps import render_step as render
from tests.synthetic import make_result

# Eight classes: 2, 5 and 6 win pixels (5 and 6 tie on 40); the absent ones peak at
# 0.3 (0), 0.6 (1), 0.6 (3), 0.5 (4), 0.1 (7).
PIXELS = np.array([0, 0, 90, 0, 0, 40, 40, 0])
PEAKS = np.array([0.3, 0.6, 0.9, 0.6, 0.5, 0.8, 0.7, 0.1])


def test_small_vocabularies_show_every_class():
    shown = choose_classes(PIXELS, PEAKS, all_up_to=8)
    assert shown.indices == tuple(range(8)) and shown.everything
    assert shown.present == (2, 5, 6)


def test_present_classes_then_the_nearest_misses_with_ties_to_the_lower_index():
    # Absent classes by peak: 1 and 3 tie at 0.6 (1 first), then 4 at 0.5.
    assert choose_classes(PIXELS, PEAKS, all_up_to=4, extra=2, limit=10).indices == (1, 2, 3, 5, 6)
    assert choose_classes(PIXELS, PEAKS, all_up_to=4, extra=1, limit=10).indices == (1, 2, 5, 6)
    assert choose_classes(PIXELS, PEAKS, all_up_to=4, extra=3, limit=10).indices == (1, 2, 3, 4, 5, 6)
    assert choose_classes(PIXELS, PEAKS, all_up_to=4, extra=0, limit=10).indices == (2, 5, 6)


def test_the_limit_keeps_the_classes_with_most_pixels_first():
    # 2 (90 px), then 5 and 6 tie on 40 px: 5 wins the tie; misses come after every present class.
    assert choose_classes(PIXELS, PEAKS, all_up_to=4, extra=3, limit=2).indices == (2, 5)
    assert choose_classes(PIXELS, PEAKS, all_up_to=4, extra=3, limit=4).indices == (1, 2, 5, 6)
    shown = choose_classes(PIXELS, PEAKS, all_up_to=4, extra=3, limit=2)
    assert shown.present == (2, 5, 6) and not shown.everything


def test_an_image_where_no_class_wins_shows_only_the_nearest_misses():
    shown = choose_classes(np.zeros(30, int), np.linspace(0.0, 1.0, 30), extra=3)
    assert shown.indices == (27, 28, 29) and shown.present == ()


def test_the_sentence_names_the_shown_classes_and_why():
    result = make_result(num_classes=30, height=120, width=160)
    names = result.vocabulary.names
    shown = choose_classes(np.bincount(result.dense.prediction.ravel(), minlength=30), result.dense.summary.probability_max, limit=4)
    sentence = shown_sentence(result, shown, "The picture", "Look elsewhere.")
    present = [c for c in shown.indices if c in shown.present]
    assert sentence.startswith("The picture shows 4 classes of the 30: 4 classes present in the SCLIP argmax (the 4 with the most pixels of 30): ")
    assert ", ".join(names[c] for c in present) in sentence and sentence.endswith(". Look elsewhere.")
    assert shown_sentence(result, choose_classes(np.ones(30), result.dense.summary.probability_max, all_up_to=30), "x", "y") == ""


def render_step(slug, result):
    return render(step_info(slug), result, make_palette(len(result.vocabulary)))


def test_steps_4_and_5_draw_and_name_only_the_shown_classes():
    result = make_result(num_classes=30, height=120, width=160)
    shown = shown_classes(result)
    # Every class wins pixels in this scene: the 24 with the most pixels are shown.
    assert len(shown.indices) == 24 and len(shown.present) == 30
    hidden = [c for c in range(30) if c not in shown.indices]
    names = result.vocabulary.names
    for slug, prefix in (("04_similarity", "similarity"), ("05_confidence_maps", "confidence")):
        step = render_step(slug, result)
        assert set(step.assets) == {f"{prefix}_{c}" for c in shown.indices}
        assert "shows 24 classes of the 30" in step.description
        assert all(names[c] not in step.description.split("shows 24 classes")[1] for c in hidden)
    labels = [b["label"] for b in render_step("05_confidence_maps", result).figure["layout"]["updatemenus"][0]["buttons"]]
    assert labels[:24] == [f"Show: {names[c]}" for c in shown.indices]
    assert labels[24:] == [f"Show: {names[c]} (coarse)" for c in hidden]
    # Step 4 offers only the shown classes; a small vocabulary is unchanged (every class, no layer).
    assert len(render_step("04_similarity", result).figure["layout"]["updatemenus"][0]["buttons"]) == 24
    small = render_step("05_confidence_maps", make_result())
    assert len(small.assets) == 3 and len(small.figure["data"]) == 2
