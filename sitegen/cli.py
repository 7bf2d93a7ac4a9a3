"""The ``sitegen`` command line: ``build`` (a site over a folder), ``run`` (one image), ``serve``, ``check``.

Thin on purpose: it declares the flags, builds one frozen options record, and hands over to
``sitegen.site``. Heavy imports (torch, plotly) happen inside the commands, so ``--help``
is instant. Every ``SitegenError`` is printed as one line and exits 1; no traceback.
"""

import functools
import inspect
import os
import sys
from pathlib import Path
from typing import Annotated, Literal, Optional

import click
import typer
from typer.core import TyperCommand

from sitegen import __version__
from sitegen.errors import OptionsError, SitegenError
from sitegen.options import DEVICES, PROMPT_MODES, PROMPT_TEMPLATE_SETS, ModelOptions, PipelineOptions

SCLIP = "SCLIP dense prediction"
REGIONS = "Regions and prompts"
MODELS = "Models and weights"
OUTPUT = "Output"
MACHINES = "More than one machine"
EVALUATION = "Evaluation against ground truth"

app = typer.Typer(
    help="Run CLIP-guided SAM 2 segmentation on images and publish a site that explains every step.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)


# --- Shared options ----------------------------------------------------------------------------
# `build` and `run` take the same pipeline and model flags. They are declared once here and
# added to both commands' signatures by `pipeline_command`, which also turns them into the
# frozen `PipelineOptions` / `ModelOptions` records the rest of sitegen takes.

def _option(default, *flags: str, help: str, panel: str, **kwargs) -> tuple:
    return default, typer.Option(*flags, help=help, rich_help_panel=panel, **kwargs)


_D = PipelineOptions()
_M = ModelOptions()
SHARED_OPTIONS: dict[str, tuple[type, tuple]] = {
    # SCLIP
    "short_side": (int, _option(_D.short_side, help="Resize so the short side has this many pixels (long side at most 2048).", panel=SCLIP, min=16)),
    "window": (int, _option(_D.window, help="Sliding-window size in pixels.", panel=SCLIP, min=16)),
    "stride": (int, _option(_D.stride, help="Sliding-window stride in pixels.", panel=SCLIP, min=1)),
    "logit_scale": (float, _option(_D.logit_scale, help="Multiply cosines by this before the softmax over queries.", panel=SCLIP)),
    "prompt_templates": (Literal[PROMPT_TEMPLATE_SETS], _option(_D.prompt_templates, help="Text prompt templates.", panel=SCLIP)),
    "max_pixels": (int, _option(_D.max_pixels, help="Downscale larger images to this many pixels (with a warning).", panel=SCLIP)),
    # Regions and prompts
    "min_confidence": (float, _option(_D.min_confidence, help="A pixel passes when its winning class has at least this probability.", panel=REGIONS)),
    "min_region_size": (int, _option(_D.min_region_size, help="Drop connected regions with fewer pixels.", panel=REGIONS)),
    "points_per_cluster": (int, _option(_D.points_per_cluster, help="Positive points per region (nearest-to-centroid, then farthest-point sampling).", panel=REGIONS)),
    "negative_points_per_cluster": (int, _option(_D.negative_points_per_cluster, help="Negative points per region from confident other classes; 0 disables.", panel=REGIONS)),
    "negative_confidence_threshold": (float, _option(_D.negative_confidence_threshold, help="Minimum probability of the other class at a negative point.", panel=REGIONS)),
    "iou_threshold": (float, _option(_D.iou_threshold, help="Suppress a mask whose IoU with a kept mask of its class exceeds this.", panel=REGIONS)),
    "prompt_mode": (Literal[PROMPT_MODES], _option(_D.prompt_mode, help="joint: one SAM prompt per region; separate: one per positive point.", panel=REGIONS)),
    # Models
    "clip_model": (str, _option(_M.clip_model, help="open_clip model name.", panel=MODELS)),
    "clip_pretrained": (str, _option(_M.clip_pretrained, help="open_clip pretrained tag, or a local checkpoint path.", panel=MODELS)),
    "sam_model": (str, _option(_M.sam_model, help="SAM 2 model id on the Hugging Face hub.", panel=MODELS)),
    "sam_checkpoint": (Optional[Path], _option(None, help="Local SAM 2 checkpoint (use with --sam-config).", panel=MODELS, exists=True, dir_okay=False)),
    "sam_config": (Optional[str], _option(None, help="SAM 2 config name, e.g. configs/sam2.1/sam2.1_hiera_t.yaml.", panel=MODELS)),
    "random_weights": (bool, _option(False, "--random-weights", help="Build both models untrained: for tests and smoke runs, masks are meaningless.", panel=MODELS)),
    "device": (Literal[DEVICES], _option(_M.device, help="Where the models run.", panel=MODELS)),
    "seed": (int, _option(_M.seed, help="Seed for random weights and any sampling.", panel=MODELS)),
    # Output
    "per_class_details": (bool, _option(False, "--per-class-details", help="Also render a detailed view of every class.", panel=OUTPUT)),
    "overwrite": (bool, _option(False, "--overwrite", help="Allow writing into a folder that holds files sitegen did not write. They are never deleted or overwritten: one in the way of a page is renamed to NAME.orig.", panel=OUTPUT)),
    "quiet": (bool, _option(False, "--quiet", "-q", help="No progress bars.", panel=OUTPUT)),
}
PIPELINE_FIELDS = tuple(PipelineOptions.__dataclass_fields__)
MODEL_FIELDS = tuple(ModelOptions.__dataclass_fields__)


def _shared_parameters() -> list[inspect.Parameter]:
    return [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, info])
        for name, (kind, (default, info)) in SHARED_OPTIONS.items()
    ]


def pipeline_command(func):
    """Give a command the shared flags; it receives ``options``, ``models`` and the output flags."""
    own = inspect.signature(func)
    kept = [p for p in own.parameters.values() if p.name not in ("options", "models", "flags")]

    @functools.wraps(func)
    def wrapper(**kwargs):
        shared = {name: kwargs.pop(name) for name in SHARED_OPTIONS}
        try:
            options = PipelineOptions(**{k: shared.pop(k) for k in PIPELINE_FIELDS})
            sam_checkpoint = shared.pop("sam_checkpoint")
            models = ModelOptions(
                sam_checkpoint=str(sam_checkpoint) if sam_checkpoint else None,
                **{k: shared.pop(k) for k in MODEL_FIELDS if k != "sam_checkpoint"},
            )
        except SitegenError as error:
            fail(error)
        return func(options=options, models=models, flags=shared, **kwargs)

    wrapper.__signature__ = own.replace(parameters=kept + _shared_parameters())
    return wrapper


class GreedyVocabularyCommand(TyperCommand):
    """Accept ``--vocabulary A B C`` (the original tool's form) as well as repeated flags.

    Click options take one value each; this rewrites ``--vocabulary A B C`` into
    ``--vocabulary A --vocabulary B --vocabulary C`` before parsing. Values run until the next
    token that starts with ``-``.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        expanded: list[str] = []
        greedy = False
        for token in args:
            if token == "--vocabulary":
                greedy = True
                continue
            if greedy and not token.startswith("-"):
                expanded += ["--vocabulary", token]
                continue
            greedy = False
            expanded.append(token)
        return super().parse_args(ctx, expanded)


def fail(error: BaseException) -> None:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=1)


def read_vocabulary(vocabulary: Optional[list[str]], vocab_file: Optional[Path]):
    from sitegen.pipeline.vocabulary import read_vocabulary_file, vocabulary_from_names

    if bool(vocabulary) == bool(vocab_file):
        raise OptionsError("give the classes with exactly one of --vocabulary or --vocab-file")
    return read_vocabulary_file(vocab_file) if vocab_file else vocabulary_from_names(vocabulary)


VocabularyOption = Annotated[
    Optional[list[str]],
    typer.Option(help="Class names (one per class): --vocabulary cat dog 'coffee cup'.", rich_help_panel="Input"),
]
VocabFileOption = Annotated[
    Optional[Path],
    typer.Option(
        help="Vocabulary file: one class per line, synonyms after commas, # comments.",
        exists=True,
        dir_okay=False,
        rich_help_panel="Input",
    ),
]


def open_ground_truth(folder: Optional[Path], vocabulary, gt_labels: Optional[Path], ignore_index: Optional[int]):
    """The ground truth the flags name (None without --ground-truth), read before any model loads."""
    if folder is None:
        return None
    from sitegen.evaluation import DEFAULT_IGNORE_INDEX
    from sitegen.site.evaluation import GroundTruthSource

    return GroundTruthSource.open(
        folder, vocabulary, gt_labels, DEFAULT_IGNORE_INDEX if ignore_index is None else ignore_index
    )


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"sitegen {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Run CLIP-guided SAM 2 segmentation on images and publish a site that explains every step."""


@app.command(cls=GreedyVocabularyCommand)
@pipeline_command
def build(
    images_dir: Annotated[
        Path, typer.Argument(help="Folder of images.", exists=True, file_okay=False, dir_okay=True)
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Site folder to write.", rich_help_panel=OUTPUT)],
    options: PipelineOptions,
    models: ModelOptions,
    flags: dict,
    vocabulary: VocabularyOption = None,
    vocab_file: VocabFileOption = None,
    cache_dir: Annotated[
        Optional[Path],
        typer.Option(help="Result cache [default: $SITEGEN_CACHE_DIR or ~/.cache/sitegen].", rich_help_panel=OUTPUT),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Recompute every image, ignoring the cache.", rich_help_panel=OUTPUT)] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when any image failed (by default failures are listed and the exit code is 0).", rich_help_panel=OUTPUT)
    ] = False,
    executor: Annotated[
        Literal["local", "ray"], typer.Option(help="Where images are computed: this process, or Ray actors.", rich_help_panel=MACHINES)
    ] = "local",
    ray_address: Annotated[
        Optional[str], typer.Option(help="A running Ray cluster (HOST:6379, ray://HOST:10001, auto); default: a local one.", rich_help_panel=MACHINES)
    ] = None,
    ray_workers: Annotated[
        Optional[int], typer.Option(help="Ray workers holding the models (default: one per node, or one per G GPUs).", rich_help_panel=MACHINES)
    ] = None,
    ray_gpus_per_worker: Annotated[
        float, typer.Option(help="GPUs per Ray worker (G); 0 makes CPU workers.", rich_help_panel=MACHINES)
    ] = 0.0,
    threads: Annotated[
        Optional[int],
        typer.Option(help="torch threads in every process that runs the models: this one, each Ray worker, each shard (default: the cores here; on Ray, each worker's share). Sites are byte-identical only between builds whose models ran with the same count.", min=1, rich_help_panel=MACHINES),
    ] = None,
    shard: Annotated[
        Optional[str], typer.Option(help="K/N: compute shard K of N (image i goes to shard i mod N) into --cache-dir and write no pages (default: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT when set).", rich_help_panel=MACHINES)
    ] = None,
    shard_count: Annotated[
        Optional[int], typer.Option(help="N, the number of shards, with K from $JOB_COMPLETION_INDEX (Kubernetes Indexed Job).", rich_help_panel=MACHINES)
    ] = None,
    ground_truth: Annotated[
        Optional[Path],
        typer.Option(
            help="Folder of ground-truth label PNGs named after the images' stems (single-channel or palette, read as class indices); adds the evaluation to the site.",
            exists=True, file_okay=False, rich_help_panel=EVALUATION,
        ),
    ] = None,
    gt_labels: Annotated[
        Optional[Path],
        typer.Option(
            help="File of 'INDEX NAME' lines mapping dataset indices to vocabulary classes; indices it does not list are ignored and counted [default: index i is vocabulary line i].",
            exists=True, dir_okay=False, rich_help_panel=EVALUATION,
        ),
    ] = None,
    ignore_index: Annotated[
        Optional[int],
        typer.Option(help="Ground-truth index left out of every metric [default: 255].", min=0, max=65535, rich_help_panel=EVALUATION),
    ] = None,
    paper_figures: Annotated[
        bool,
        typer.Option(
            "--paper-figures",
            help="Also write every step's lossless PNG (paper figures, about 7 MB per image); by default each step is shown by its interactive figure.",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    jobs: Annotated[
        Optional[int],
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Processes that draw figures and write pages [default: the number of usable cores]. The site is the same for any value.",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    config: Annotated[
        Optional[Path],
        typer.Option(
            "--config",
            help="TOML file of [variants.NAME] tables of options (min-confidence = 0.2, ...): each variant gets its own pages, compared per image; the flags are the base variant.",
            exists=True,
            dir_okay=False,
            rich_help_panel="Input",
        ),
    ] = None,
) -> None:
    """Build the multi-page site for every image in IMAGES_DIR."""
    from rich.console import Console

    from sitegen.config import read_config
    from sitegen.distributed.executors import ExecutorSettings, open_executor
    from sitegen.distributed.shards import shard_from_environment
    from sitegen.site.build import build_site
    from sitegen.site.build_report import summary_table
    from sitegen.site.cache import CACHE_ENV, default_cache_dir
    from sitegen.site.parallel import default_jobs

    console = Console(stderr=True, quiet=flags["quiet"])
    if ground_truth is None and (gt_labels is not None or ignore_index is not None):
        fail(OptionsError("--gt-labels and --ignore-index need --ground-truth DIR"))
    try:
        variants = read_config(config, options) if config else None
        settings = ExecutorSettings(executor, ray_address, ray_workers, ray_gpus_per_worker, threads)
        part = shard_from_environment(shard, shard_count)
        if part is not None and settings.kind == "ray":
            raise OptionsError(
                f"--shard {part} computes one part of the images in this process; it cannot be combined "
                "with --executor ray, which spreads the whole build by itself"
            )
        if part is not None and cache_dir is None and not os.environ.get(CACHE_ENV):
            raise OptionsError(
                f"--shard {part}: give the cache folder that every shard and the final build share, "
                f"with --cache-dir (or ${CACHE_ENV})"
            )
        vocab = read_vocabulary(vocabulary, vocab_file)
        truth = open_ground_truth(ground_truth, vocab, gt_labels, ignore_index)
        with open_executor(settings, models) as computer:
            report = build_site(
                images_dir,
                vocab,
                options,
                models,
                out,
                cache_dir=cache_dir or default_cache_dir(),
                force=force,
                overwrite=flags["overwrite"],
                per_class_details=flags["per_class_details"],
                paper_figures=paper_figures,
                jobs=jobs or default_jobs(),
                quiet=flags["quiet"],
                console=console,
                executor=computer,
                shard=part,
                ground_truth=truth,
                variants=variants,
            )
    except SitegenError as error:
        fail(error)
    console.print(summary_table(report))
    for failure in report.failed:
        typer.echo(f"failed: {failure.name}: {failure.reason}", err=True)
    if part is None:
        console.print(f"Site written to {out / 'index.html'}")
    else:
        console.print(f"Shard {part} computed into {cache_dir or default_cache_dir()}; no pages written (the build without a shard writes the site)")
    if strict and report.failed:
        raise typer.Exit(code=1)


@app.command(cls=GreedyVocabularyCommand)
@pipeline_command
def run(
    image: Annotated[
        Path, typer.Option(help="The input image.", exists=True, dir_okay=False, rich_help_panel="Input")
    ],
    output: Annotated[Path, typer.Option(help="Output folder.", rich_help_panel=OUTPUT)],
    options: PipelineOptions,
    models: ModelOptions,
    flags: dict,
    vocabulary: VocabularyOption = None,
    vocab_file: VocabFileOption = None,
    html: Annotated[bool, typer.Option(help="Write index.html, the single-page step viewer.", rich_help_panel=OUTPUT)] = True,
) -> None:
    """Run the pipeline on one image and write the original tool's layout (steps/, data/, index.html)."""
    from sitegen.site.single_run import write_single_run

    try:
        vocab = read_vocabulary(vocabulary, vocab_file)
        written = write_single_run(
            image,
            vocab,
            options,
            models,
            output,
            html=html,
            per_class_details=flags["per_class_details"],
            overwrite=flags["overwrite"],
            quiet=flags["quiet"],
        )
    except SitegenError as error:
        fail(error)
    typer.echo(f"Wrote {len(written)} files to {output}", err=True)


@app.command()
def serve(
    site: Annotated[Path, typer.Argument(help="A site folder written by sitegen build.", exists=True, file_okay=False)],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
) -> None:
    """Preview a site over http on localhost (Ctrl-C stops)."""
    from sitegen.site.serve import serve as serve_site

    serve_site(site, port=port)


@app.command()
def check(
    site: Annotated[Path, typer.Argument(help="A site folder written by sitegen build.", exists=True, file_okay=False)],
) -> None:
    """Check a built site before publishing: size against GitHub Pages' 1 GB, large files, links, manifest, .nojekyll.

    Exits 1 when a check fails (warnings alone exit 0).
    """
    from rich.console import Console

    from sitegen.site.check import check_site, check_table

    report = check_site(site)
    Console().print(check_table(report))
    if not report.ok:
        typer.echo(f"error: {site} is not ready to publish (see the table)", err=True)
        raise typer.Exit(code=1)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
