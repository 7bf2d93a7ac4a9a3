"""Images per second of a whole build: local, Ray with 1 and 2 CPU workers, and 2 shards, one run.

Run from the repository root (needs the ray extra; random weights, the four examples)::

    .venv/bin/python benchmarks/distributed.py

Every configuration builds the example site from an empty cache, so each pays what a first build
pays: loading the models (once per worker or shard process) and encoding the text queries. The
times are wall-clock seconds from the start of the build to its last file:

* ``local``: ``build_site`` in this process, the default executor.
* ``ray N``: ``build_site`` with ``--executor ray --ray-workers N`` on a Ray cluster started once
  beforehand in this process (``ray.init(num_cpus=CPUS)``: a running cluster, as with
  ``--ray-address``); its start is reported apart, since a cluster serves many builds.
* ``2 shards``: ``sitegen build --shard 0/2`` and ``--shard 1/2`` as two processes at the same
  time over one cache (what a Slurm array or a Kubernetes Indexed Job runs), then the assembling
  build in this process; the processes' start (Python, torch) is included, as on a cluster.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitegen.distributed.executors import ExecutorSettings  # noqa: E402
from sitegen.options import ModelOptions, PipelineOptions  # noqa: E402
from sitegen.pipeline.vocabulary import read_vocabulary_file  # noqa: E402
from sitegen.site.build import build_site  # noqa: E402

IMAGES = ROOT / "examples" / "images"
VOCAB = ROOT / "examples" / "vocab.txt"
#: The README's command for a build without weights (``main`` may lighten the CLIP side).
OPTIONS = PipelineOptions(min_confidence=0.1)
MODELS = ModelOptions(random_weights=True)
FLAGS = ["--random-weights", "--min-confidence", "0.1", "--quiet"]


def configure(short_side: int, prompt_templates: str) -> None:
    """Set the CLIP side's options of every configuration (in-process builds and shard commands)."""
    global OPTIONS
    OPTIONS = PipelineOptions(min_confidence=0.1, short_side=short_side, prompt_templates=prompt_templates)
    FLAGS.extend(["--short-side", str(short_side), "--prompt-templates", prompt_templates])


def local_build(work: Path) -> float:
    start = time.perf_counter()
    build_site(IMAGES, read_vocabulary_file(VOCAB), OPTIONS, MODELS, work / "local", cache_dir=work / "local-cache", quiet=True)
    return time.perf_counter() - start


def ray_build(work: Path, workers: int) -> float:
    from sitegen.distributed.ray_executor import RayExecutor

    start = time.perf_counter()
    with RayExecutor(ExecutorSettings("ray", ray_workers=workers), MODELS) as executor:
        build_site(
            IMAGES, read_vocabulary_file(VOCAB), OPTIONS, MODELS, work / f"ray{workers}",
            cache_dir=work / f"ray{workers}-cache", quiet=True, executor=executor,
        )
    return time.perf_counter() - start


def sharded_build(work: Path, shards: int) -> tuple[float, float]:
    """Seconds until every shard has finished, and seconds of the assembly after them."""
    cache = work / "shards-cache"
    command = [sys.executable, "-m", "sitegen", "build", str(IMAGES), "--vocab-file", str(VOCAB),
               "--out", str(work / "shards"), "--cache-dir", str(cache), *FLAGS]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    processes = [subprocess.Popen([*command, "--shard", f"{k}/{shards}"], cwd=ROOT, env=env) for k in range(shards)]
    if any(process.wait() != 0 for process in processes):
        raise SystemExit("a shard failed")
    computed = time.perf_counter() - start
    report = build_site(IMAGES, read_vocabulary_file(VOCAB), OPTIONS, MODELS, work / "shards", cache_dir=cache, quiet=True)
    assert report.built == 0 and report.model_loads == 0, "the assembly ran a model"
    return computed, time.perf_counter() - start - computed


def site_files(site: Path) -> dict[str, bytes]:
    """Every file of a site but the build log and the manifest (which lists the log's checksum)."""
    skip = {"build-log.txt", ".sitegen-manifest.json"}
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file() and p.name not in skip}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpus", type=int, default=os.cpu_count(), help="CPUs of the Ray cluster")
    parser.add_argument("--short-side", type=int, default=336, help="as the build flag (smaller: lighter CLIP work)")
    parser.add_argument("--prompt-templates", default="imagenet80", help="as the build flag (top7: lighter text work)")
    args = parser.parse_args()
    configure(args.short_side, args.prompt_templates)
    count = len(list(IMAGES.iterdir()))
    print(f"{count} images, {os.cpu_count()} CPUs, --short-side {args.short_side} --prompt-templates {args.prompt_templates}")
    print("| configuration | who computes | seconds | images/s | vs local | load average |")
    print("|---|---|---|---|---|---|", flush=True)
    base = None

    def row(name: str, who: str, seconds: float) -> None:
        nonlocal base
        base = base or seconds
        print(f"| {name} | {who} | {seconds:.1f} | {count / seconds:.3f} | {base / seconds:.2f}x | {os.getloadavg()[0]:.1f} |", flush=True)

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        row("local", "1 process", local_build(work))

        import ray

        start = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False, logging_level="ERROR")
        cluster_start = time.perf_counter() - start
        for workers in (1, 2):
            row(f"ray {workers}", f"{workers} worker{'s' if workers > 1 else ''}", ray_build(work, workers))
        ray.shutdown()
        computed, assembly = sharded_build(work, 2)
        row("2 shards", "2 processes + assembly", computed + assembly)
        reference = site_files(work / "local")
        differing = {
            name: sorted(path for path in set(reference) | set(files) if reference.get(path) != files.get(path))
            for name, files in (("2 shards", site_files(work / "shards")), *((f"ray {n}", site_files(work / f"ray{n}")) for n in (1, 2)))
        }

    print(f"\n2 shards: {computed:.1f} s until both finished, then {assembly:.1f} s of assembly (no model)")
    print(f"Ray cluster start (once, not in the rows): {cluster_start:.1f} s")
    for name, paths in differing.items():
        verdict = "identical to the local site" if not paths else f"{len(paths)} files differ from the local site: {paths[:5]}"
        print(f"{name}: {len(reference)} files, {verdict} (build log and manifest aside)")


if __name__ == "__main__":
    main()
