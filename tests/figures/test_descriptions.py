"""Descriptions are written from the run: change the options and the text changes with them."""

from __future__ import annotations

from dataclasses import replace

from sitegen.figures import STEPS, make_palette, render_step
from tests.synthetic import default_options, make_result


def describe(step: int, **options) -> tuple[str, object]:
    result = make_result(options=replace(default_options(), **options))
    return render_step(STEPS[step - 1], result, make_palette(3)).description, result


def test_window_description_follows_stride_and_short_side():
    coarse, coarse_result = describe(3)
    fine, fine_result = describe(3, stride=56, short_side=224)
    assert len(coarse_result.dense.windows) == 6 and "6 windows of 224 x 224 px with stride 112 px" in coarse
    n = len(fine_result.dense.windows)
    width, height = fine_result.dense.resized_size
    assert n != 6 and f"{n} windows" in fine and "stride 56 px" in fine
    assert f"resized to {width} x {height} px" in fine and "short_side 224" in fine


def test_threshold_description_counts_the_passing_pixels():
    low, low_result = describe(8, min_confidence=0.3)
    high, high_result = describe(8, min_confidence=0.9)
    low_count = int(low_result.thresholding.passing.sum())
    high_count = int(high_result.thresholding.passing.sum())
    assert high_count < low_count
    assert "min_confidence 0.3" in low and f"{low_count:,} of 3,072 pixels" in low
    assert "min_confidence 0.9" in high and f"{high_count:,} of 3,072 pixels" in high


def test_size_filter_description_lists_the_dropped_sizes():
    small, small_result = describe(10, min_region_size=20)
    large, large_result = describe(10, min_region_size=200)
    assert "1 region smaller than 20 px was dropped (sizes 9)" in small
    dropped = sorted((r.size for r in large_result.size_filter.dropped), reverse=True)
    assert len(dropped) == 3
    assert f"3 regions smaller than 200 px were dropped (sizes {', '.join(map(str, dropped))})" in large
    assert f"{len(large_result.size_filter.kept)} regions kept" in large


def test_negative_point_description_says_when_they_are_off():
    off, _ = describe(12, negative_points_per_cluster=0)
    on, result = describe(12, negative_points_per_cluster=2, negative_confidence_threshold=0.7)
    assert "off (negative_points_per_cluster 0)" in off
    total = sum(len(rp.negative) for rp in result.points)
    assert f"{total} negative points" in on and "negative_confidence_threshold 0.7" in on


def test_prompt_mode_changes_the_sam_prompting_text():
    joint, joint_result = describe(13, prompt_mode="joint")
    separate, separate_result = describe(13, prompt_mode="separate")
    assert (
        f"{len(joint_result.candidates.prompts)} prompts" in joint and "one prompt per kept region" in joint
    )
    assert (
        f"{len(separate_result.candidates.prompts)} prompts" in separate
        and "one prompt per positive point" in separate
    )


def test_overlap_description_names_the_suppressed_mask_and_iou():
    text, result = describe(16)
    (lost,) = result.overlap.suppressed
    assert f"prompt {lost.prompt_index} by prompt {lost.winner_index} (IoU {lost.iou:.3f})" in text
    assert "iou_threshold 0.8" in text


def test_candidate_description_says_how_many_prompts_the_picture_shows():
    few = make_result()
    many = make_result(120, 160, 10)
    assert len(few.candidates.prompts) == 4 and len(many.candidates.prompts) == 11
    assert "The static picture shows all 4 prompts." in render_step(STEPS[13], few, make_palette(3)).description
    text = render_step(STEPS[13], many, make_palette(10)).description
    assert "The static picture shows 6 of the 11 prompts (those of the most confident regions)" in text
