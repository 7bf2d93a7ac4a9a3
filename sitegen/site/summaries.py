"""The records pages are built from: the site's shared settings and a small summary per image.

``SiteInfo`` is what every page of one site shares; ``ImageSummary`` (with a ``ClassSummary`` per
vocabulary class) is what the index and the class pages need about one image, made by
``summarize_image`` and small enough to keep hundreds; ``Failure`` is an image that got no page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sitegen.options import ModelOptions, PipelineOptions
from sitegen.records import PipelineResult, Vocabulary
from sitegen.site.paths import (
    class_thumbnail_path,
    image_folder,
    image_page_path,
    photo_thumbnail_path,
    thumbnail_path,
)
from sitegen.site.slugs import unique_slugs

if TYPE_CHECKING:
    from sitegen.figures import Palette


@dataclass(frozen=True)
class SiteInfo:
    """What every page of one site shares: the run's configuration and the class colours."""

    title: str
    vocabulary: Vocabulary
    palette: Palette
    options: PipelineOptions
    models: ModelOptions
    random_weights: bool
    version: str
    class_slugs: tuple[str, ...]
    #: Write the lossless step PNGs (and per-class PNGs) beside the interactive figures.
    paper_figures: bool = False

    @classmethod
    def create(
        cls,
        title: str,
        vocabulary: Vocabulary,
        options: PipelineOptions,
        models: ModelOptions,
        paper_figures: bool = False,
    ) -> SiteInfo:
        """The site record of a run: palette, class slugs and version derived from its inputs."""
        from sitegen import __version__
        from sitegen.figures import make_palette

        return cls(
            title=title,
            vocabulary=vocabulary,
            palette=make_palette(len(vocabulary)),
            options=options,
            models=models,
            random_weights=models.random_weights,
            version=__version__,
            class_slugs=tuple(unique_slugs(vocabulary.names)),
            paper_figures=paper_figures,
        )


@dataclass(frozen=True)
class ClassSummary:
    """One class in one image, as the index and the class pages show it.

    ``area`` counts the class's pixels in the final map; ``mean_confidence`` is the mean winning
    probability over its SCLIP argmax pixels (None when SCLIP never picked it).
    ``region_areas`` and ``region_confidences`` describe the regions that passed the size filter.
    Thumbnail paths are relative to the site root and exist only for found classes. ``funnel``
    holds the class's counts at each stage of ``sitegen.pipeline.funnel.STAGES``; for a missed
    class, ``miss`` is the sentence that says where it was lost and ``miss_step`` the number of
    the step that shows it.
    """

    index: int
    prompts: int
    masks: int
    area: int
    mean_confidence: float | None
    region_areas: tuple[int, ...]
    region_confidences: tuple[float, ...]
    confidence_thumbnail: str | None
    mask_thumbnail: str | None
    funnel: tuple[int, ...] = ()
    miss: str | None = None
    miss_step: int | None = None

    @property
    def found(self) -> bool:
        """SAM kept at least one mask for this class."""
        return self.masks > 0


@dataclass(frozen=True)
class ImageSummary:
    """What the index and the class pages need about one image, small enough to keep hundreds.

    Paths are relative to the site root. ``classes[i]`` describes vocabulary class ``i``.
    """

    name: str
    slug: str
    page: str
    thumbnail: str
    width: int
    height: int
    total_masks: int
    total_prompts: int
    random_weights: bool
    classes: tuple[ClassSummary, ...]

    @property
    def photo_thumbnail(self) -> str:
        """The photograph at thumbnail size, under the class pages' mask overlays."""
        return photo_thumbnail_path(image_folder(self.slug))


@dataclass(frozen=True)
class Failure:
    """An image that could not be processed, and the one-line reason."""

    name: str
    reason: str


def summarize_image(result: PipelineResult, slug: str, site: SiteInfo, funnels: tuple | None = None) -> ImageSummary:
    """The per-image record the index and the class pages are built from.

    ``funnels`` are ``compute_funnel``'s of ``result`` (with ground truth, the build's); default:
    computed here.
    """
    from sitegen.figures.registry import step_info
    from sitegen.pipeline.data_files import class_statistics
    from sitegen.pipeline.funnel import compute_funnel

    folder = image_folder(slug)
    classes = []
    funnels = funnels if funnels is not None else compute_funnel(result)
    for row in class_statistics(result):
        i = row["index"]
        miss = funnels[i].miss
        regions = [r for r in result.size_filter.kept if r.class_index == i]
        found = row["masks_kept"] > 0
        classes.append(
            ClassSummary(
                index=i,
                prompts=row["prompts"],
                masks=row["masks_kept"],
                area=row["final_pixels"],
                mean_confidence=row["mean_confidence"],
                region_areas=tuple(int(r.size) for r in regions),
                region_confidences=tuple(round(float(r.confidence), 4) for r in regions),
                confidence_thumbnail=class_thumbnail_path(folder, i, "confidence") if found else None,
                mask_thumbnail=class_thumbnail_path(folder, i, "mask") if found else None,
                funnel=funnels[i].counts,
                miss=None if miss is None else miss.sentence,
                miss_step=None if miss is None else step_info(miss.step).number,
            )
        )
    return ImageSummary(
        name=result.image.name,
        slug=slug,
        page=image_page_path(slug),
        thumbnail=thumbnail_path(folder),
        width=result.image.width,
        height=result.image.height,
        total_masks=sum(c.masks for c in classes),
        total_prompts=sum(c.prompts for c in classes),
        random_weights=result.models.random_weights,
        classes=tuple(classes),
    )
