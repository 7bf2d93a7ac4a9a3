"""The index and class pages with COCO-Stuff's 171 classes over 120 images.

The summaries are made by hand (which classes each image finds is a rule below), so the site-wide
pages can be built for a benchmark-size vocabulary in a moment: ``site_files`` makes them exactly
as a build does from real summaries.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.options import ModelOptions
from sitegen.pipeline.vocabulary import read_vocabulary_file
from sitegen.site.gallery import CARDS_PER_PAGE, ROWS_PER_PAGE
from sitegen.site.index_page import site_files
from sitegen.site.paths import class_thumbnail_path, image_folder, image_page_path, thumbnail_path
from sitegen.site.slugs import unique_slugs
from sitegen.site.summaries import ClassSummary, ImageSummary, SiteInfo
from tests.site.factory import write_files
from tests.site.html_scan import scan
from tests.site.test_browser import _shown_cards
from tests.synthetic import default_options

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
COUNT = 120


def found_in(k: int) -> dict[int, int]:
    """Image ``k``'s found classes and their masks: two classes spread over the vocabulary."""
    return {k % 171: 1 + k % 3, (37 * k + 5) % 171: 1}


def _summary(k: int, classes: int) -> ImageSummary:
    slug = f"img-{k:03d}-jpg"
    folder = image_folder(slug)
    found = found_in(k)
    rows = tuple(
        ClassSummary(
            index=i,
            prompts=found.get(i, 0) + (i % 2),
            masks=found.get(i, 0),
            area=100 * found.get(i, 0),
            mean_confidence=None,
            region_areas=(),
            region_confidences=(),
            confidence_thumbnail=class_thumbnail_path(folder, i, "confidence") if i in found else None,
            mask_thumbnail=class_thumbnail_path(folder, i, "mask") if i in found else None,
            # every tenth image: the class wins no argmax pixel, so classes.html leaves the row out
            funnel=(0 if k % 10 == 0 else 10 + i, 5, 1, 1, 1, 1, found.get(i, 0), 100 * found.get(i, 0)),
        )
        for i in range(classes)
    )
    return ImageSummary(
        name=f"img_{k:03d}.jpg",
        slug=slug,
        page=image_page_path(slug),
        thumbnail=thumbnail_path(folder),
        width=64,
        height=48,
        total_masks=sum(found.values()),
        total_prompts=sum(c.prompts for c in rows),
        random_weights=True,
        classes=rows,
    )


@pytest.fixture(scope="module")
def vocabulary():
    return read_vocabulary_file(EXAMPLES / "vocab_cocostuff.txt")


@pytest.fixture(scope="module")
def many_classes(vocabulary, env, tmp_path_factory):
    """(site folder, summaries, files) of 120 images over the 171 classes."""
    site = SiteInfo.create("171 classes", vocabulary, default_options(), ModelOptions(random_weights=True))
    summaries = [_summary(k, len(vocabulary)) for k in range(COUNT)]
    files = site_files(summaries, [], site, env, {})
    picture = b"\x89PNG\r\n\x1a\n"  # never decoded: only requested
    for summary in summaries:
        files[summary.thumbnail] = files[summary.page] = files[summary.photo_thumbnail] = picture
        for cls in summary.classes:
            if cls.found:
                files[cls.confidence_thumbnail] = files[cls.mask_thumbnail] = picture
    return write_files(files, tmp_path_factory.mktemp("many-classes")), summaries, files


def _having(summaries, classes: set[int]) -> list[str]:
    return sorted(s.name for s in summaries if any(s.classes[i].found for i in classes))


@pytest.mark.browser
def test_typing_a_class_filters_every_image_and_the_count(visit, many_classes, vocabulary):
    root, summaries, _ = many_classes
    names = [c.name for c in vocabulary.classes]
    opened = visit(root, "index.html")
    page = opened.page
    offered = page.evaluate("() => [...document.querySelectorAll('#class-names option')].map(o => o.value)")
    assert offered == names and len(names) == 171

    def typed(text: str, classes: set[int]) -> None:
        page.fill("#class-filter", text)
        having = _having(summaries, classes)
        assert 0 < len(having) < COUNT
        assert _shown_cards(page) == having[:CARDS_PER_PAGE]
        suffix = "class" if len(classes) == 1 else "classes"
        assert page.text_content("#gallery-status") == f"Showing {len(having)} of {COUNT} images ({len(classes)} matching {suffix})"

    # An exact name (whatever its case) is that class alone, though "carrot", "cardboard" and "carpet" contain it.
    car = names.index("car")
    assert [n for n in names if "car" in n] == ["car", "carrot", "cardboard", "carpet"]
    typed("CAR", {car})
    # Otherwise every class containing the text: seven wall classes, none named "wall".
    walls = {i for i, n in enumerate(names) if "wall" in n}
    assert len(walls) == 7
    typed("Wall", walls)
    # Over every image, not only the first page: the matches run past one page and page on.
    frequent = {i for i, n in enumerate(names) if "e" in n}
    typed("e", frequent)
    having = _having(summaries, frequent)
    assert len(having) > CARDS_PER_PAGE
    page.click("#gallery-pager [data-page='1']")
    assert _shown_cards(page) == having[CARDS_PER_PAGE : 2 * CARDS_PER_PAGE]
    assert page.evaluate("location.hash") == "#class=e&page=2"
    page.reload()
    assert page.input_value("#class-filter") == "e" and _shown_cards(page) == having[CARDS_PER_PAGE : 2 * CARDS_PER_PAGE]
    # With a sort order: the filtered images by masks, ties by name.
    page.select_option("#sort-order", value="masks")
    by_masks = sorted((s for s in summaries if s.name in having), key=lambda s: (-s.total_masks, s.name))
    assert _shown_cards(page) == [s.name for s in by_masks[:CARDS_PER_PAGE]]
    # Text no class contains shows no image; clearing the field shows them all.
    page.fill("#class-filter", "zzz")
    assert _shown_cards(page) == [] and page.text_content("#gallery-status") == f"Showing 0 of {COUNT} images (0 matching classes)"
    page.fill("#class-filter", "")
    assert page.text_content("#gallery-status") == f"Showing {COUNT} of {COUNT} images"
    opened.assert_clean()


def test_classes_found_in_no_image_fold_into_the_class_list(many_classes, vocabulary):
    _, summaries, files = many_classes
    found = {i for k in range(COUNT) for i in found_in(k)}
    slugs = [p.removeprefix("classes/").removesuffix(".html") for p in files if p.startswith("classes/")]
    assert len(slugs) == len(found) < len(vocabulary)
    listing = scan(files["classes.html"])
    index_links = {link for link in scan(files["index.html"]).links() if "classes" in link}
    for i, spec in enumerate(vocabulary.classes):
        slug = unique_slugs(vocabulary.names)[i]
        assert (slug in slugs) == (i in found)
        assert f"class-{slug}" in listing.ids()
        # The index's class list links a folded class to its entry, the others to their pages.
        assert (f"classes/{slug}.html" if i in found else f"classes.html#class-{slug}") in index_links


@pytest.mark.browser
def test_a_folded_class_pages_its_funnel_on_the_class_list(visit, many_classes, vocabulary):
    root, summaries, _ = many_classes
    found = {i for k in range(COUNT) for i in found_in(k)}
    first = min(set(range(len(vocabulary))) - found)
    slug = unique_slugs(vocabulary.names)[first]
    opened = visit(root, f"classes.html#class-{slug}")
    page = opened.page
    rows = f"#class-{slug} tbody.funnel-rows th a"
    names = [s.name for k, s in enumerate(summaries) if k % 10]  # the images where it wins a pixel
    assert len(names) > ROWS_PER_PAGE
    shown = lambda: page.eval_on_selector_all(rows, "links => links.map(a => a.textContent)")  # noqa: E731
    assert shown() == names[:ROWS_PER_PAGE]
    page.click(f"#class-{slug}-funnel-pager-1 [data-page='1']")
    assert shown() == names[ROWS_PER_PAGE:]
    assert page.is_hidden(f"#class-{slug}-funnel-more-1")
    opened.assert_clean()
