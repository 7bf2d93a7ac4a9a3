"""Turn the ``--device`` option into the torch device both models run on."""

from __future__ import annotations

import torch

from sitegen.errors import OptionsError


def resolve_device(name: str) -> str:
    """Return ``"cuda"`` or ``"cpu"`` for ``--device auto|cpu|cuda``.

    ``auto`` picks CUDA when torch sees a GPU. Asking for ``cuda`` on a machine without one is an
    error rather than a silent fallback, so a slow CPU run is never mistaken for a GPU run.

    Raises
    ------
    OptionsError
        For ``cuda`` without a CUDA device, or an unknown name.
    """
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise OptionsError("--device cuda: torch finds no CUDA device; use --device cpu or --device auto")
    if name not in ("cpu", "cuda"):
        raise OptionsError(f"--device: must be one of auto, cpu, cuda, got {name!r}")
    return name


def limit_cpu_threads(count: int) -> None:
    """Let torch use at most ``count`` threads in this process (at least one).

    Several workers on one machine (Ray actors) each get their share of the cores, so that
    together they do not run more threads than there are cores.
    """
    torch.set_num_threads(max(1, int(count)))
