"""Figures that compare: the funnel of every class, and every variant's final map side by side.

Pure functions of funnel records and pipeline results, returning Plotly figure JSON (and, for
the maps, their picture assets) like the step figures; nothing here writes files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sitegen.figures.hover import hover_grid, hover_trace
from sitegen.figures.palette import Palette
from sitegen.figures.picture_assets import PHOTO_ASSET, encode_indexed, layer_frame, photo_asset
from sitegen.figures.plotly_json import figure_json, plotly_names, plotly_text
from sitegen.figures.plotly_layout import FONT, NO_TEMPLATE, layout_image, linked_panels_layout
from sitegen.figures.step18_comparison_grid import class_layer
from sitegen.pipeline.funnel import STAGES, ClassFunnel
from sitegen.records import PipelineResult

#: The funnel's stages counted in pixels; the others count regions, prompts or masks.
PIXEL_STAGES = ("argmax", "passing", "final")
UNITS = {"argmax": "px", "passing": "px", "final": "px", "regions": "regions", "kept_regions": "regions",
         "prompts": "prompts", "masks": "masks", "kept_masks": "masks"}
#: Variants per row of the side-by-side maps.
MAP_COLUMNS = 3


def funnel_widths(funnel: ClassFunnel) -> list[float]:
    """Each stage's count as a percentage of the first count in its unit (pixels or regions).

    Pixels and regions differ by orders of magnitude, so a bar's width is the share that survives
    in its own unit: pixel stages against the argmax pixels, the others against the regions.

    Examples
    --------
    >>> from sitegen.pipeline.funnel import ClassFunnel
    >>> funnel_widths(ClassFunnel(0, "cat", (200, 100, 4, 2, 2, 2, 1, 150), None))
    [100.0, 50.0, 100.0, 50.0, 50.0, 50.0, 25.0, 75.0]
    """
    pixels = max(funnel.count("argmax"), 1)
    regions = max(funnel.count("regions"), 1)
    return [
        round(100.0 * count / (pixels if stage.key in PIXEL_STAGES else regions), 2)
        for stage, count in zip(STAGES, funnel.counts)
    ]


def plot_funnel(funnels: Sequence[ClassFunnel], palette: Palette, title: str = "Funnel: what survives each stage") -> dict:
    """One Plotly funnel trace per class (a legend click toggles it); classes that never win the
    argmax start hidden. Bar text and hover give the real counts."""
    labels = [stage.label for stage in STAGES]
    traces = []
    for funnel in funnels:
        texts = [f"{count:,} {UNITS[stage.key]}" for stage, count in zip(STAGES, funnel.counts)]
        traces.append(
            {
                "type": "funnel",
                "name": plotly_text(funnel.name),
                "y": labels,
                "x": funnel_widths(funnel),
                "text": texts,
                "textinfo": "text",
                "marker": {"color": palette.hex(funnel.class_index)},
                "hovertemplate": f"{plotly_text(funnel.name)}<br>%{{y}}: %{{text}} (%{{x:.1f}} %)<extra></extra>",
                "visible": True if funnel.count("argmax") else "legendonly",
            }
        )
    layout = {
        "template": NO_TEMPLATE,
        "font": FONT,
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "funnelmode": "group",
        "height": 220 + 40 * len(STAGES) + 12 * len(funnels),
        "margin": {"l": 230, "r": 20, "t": 60, "b": 40},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.05, "x": 0, "itemclick": "toggle"},
        "yaxis": {"autorange": "reversed"},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
    }
    return figure_json({"data": traces, "layout": layout})


def plot_variant_maps(results: Mapping[str, PipelineResult], palette: Palette) -> tuple[dict, dict[str, bytes]]:
    """Every variant's final map over the photo, side by side; zoom or pan one and all follow.

    Parameters
    ----------
    results : mapping
        Variant name -> its result on one image (same image, so same size), in display order.
    palette : Palette

    Returns
    -------
    figure : dict
        Plotly JSON; axes ``x``, ``x2``, ... all match ``x`` (and ``y``), which links the zoom.
    assets : dict
        ``photo`` and ``final_<i>`` (the i-th variant's class layer) PNG bytes.
    """
    names = list(results)
    first = results[names[0]]
    height, width = first.image.height, first.image.width
    class_names = plotly_names(first.vocabulary)
    frame = layer_frame(height, width)
    assets = {PHOTO_ASSET: photo_asset(first.image.rgb)}
    columns = min(len(names), MAP_COLUMNS)
    layout = linked_panels_layout(
        "Final maps of every variant (zoom one, all follow)", width, height, [plotly_text(n) for n in names], columns
    )
    grid = hover_grid(height, width, len(names) * MAP_COLUMNS)
    samples = [grid.sample(results[name].final.labels).tolist() for name in names]
    data = [[[class_names[c] for c in cells] for cells in zip(*row)] for row in zip(*samples)]
    lines = "<br>".join(f"{name}: %{{customdata[{i}]}}" for i, name in enumerate(names))
    traces = []
    for i, name in enumerate(names):
        suffix = "" if i == 0 else str(i + 1)
        asset = f"final_{i}"
        assets[asset] = encode_indexed(class_layer(frame.sample(results[name].final.labels), palette))
        layout["images"] += [
            layout_image(PHOTO_ASSET, width, height, axes=suffix),
            layout_image(asset, width, height, axes=suffix),
        ]
        traces.append(hover_trace(grid, data, f"x %{{x:.1f}}, y %{{y:.1f}}<br>{lines}", axes=suffix))
    return figure_json({"data": traces, "layout": layout}), assets

