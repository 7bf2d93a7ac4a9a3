"""Find and load model weights: library tags and hub ids through the libraries' caches, or files.

* CLIP: ``--clip-pretrained`` is an open_clip tag of ``--clip-model`` (downloaded once by
  open_clip into the Hugging Face cache) or a local checkpoint file.
* SAM 2: ``--sam-model`` is a hub id of SAM 2's own table (fetched with ``hf_hub_download``), or
  ``--sam-checkpoint PATH`` with ``--sam-config NAME`` names local weights and a packaged config.

Offline without cached weights, every fetch ends in one ``WeightsError`` line that names what is
missing, the cache directory and the flags that avoid the download. Before the first download
``hub_reachable`` gives the hub a few seconds to accept a connection; when it does not, the
fetches use the cache only (huggingface_hub's offline mode), instead of huggingface_hub retrying
every file five times with growing waits (over a minute and ten warnings for one run). Heavy
libraries are imported inside the functions so that ``weights_identity`` (a cache key) stays cheap.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import pickle
import socket
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sitegen.errors import WeightsError
from sitegen.options import ModelOptions

#: The flags that let a run go ahead without downloading anything.
OFFLINE_FLAGS = "--clip-pretrained PATH, --sam-checkpoint PATH --sam-config NAME, or --random-weights"

#: How long the hub (or the proxy to it) gets to accept a connection before sitegen takes the
#: machine for offline; name lookup included.
HUB_PROBE_SECONDS = 3.0

#: How much of a local checkpoint is hashed for its identity (size and mtime cover the rest).
HASHED_BYTES = 1 << 20

#: Errors raised while fetching from the hub or reading a checkpoint: network and cache misses
#: are OSError subclasses in huggingface_hub; torch reports bad archives as RuntimeError and
#: non-tensor pickles (refused by weights_only=True) as UnpicklingError.
_FETCH_ERRORS = (OSError, ValueError, RuntimeError)
_LOAD_ERRORS = (OSError, RuntimeError, ValueError, EOFError, KeyError, pickle.UnpicklingError)


@dataclass(frozen=True)
class SamWeights:
    """What ``build_sam2`` needs: a packaged config name and a checkpoint file (None: untrained)."""

    config: str
    checkpoint: str | None


def _offline_error(what: str) -> WeightsError:
    from huggingface_hub import constants

    reason = "could not be downloaded" if hub_reachable() else f"the hub ({constants.ENDPOINT}) cannot be reached"
    return WeightsError(
        f"{what} are not in the cache ({constants.HF_HUB_CACHE}) and {reason}: "
        f"connect to the internet once, or pass {OFFLINE_FLAGS}"
    )


def _probe_address(endpoint: str) -> tuple[str, int]:
    """The (host, port) a download from ``endpoint`` connects to first: its proxy's, if one applies."""
    url = urllib.parse.urlsplit(endpoint)
    host = url.hostname or ""
    proxy = urllib.request.getproxies().get(url.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        url = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        host = url.hostname or ""
    return host, url.port or (443 if url.scheme == "https" else 80)


@functools.cache
def hub_reachable() -> bool:
    """Whether the hub accepts a TCP connection within ``HUB_PROBE_SECONDS`` (asked once a process).

    False under huggingface_hub's offline mode (``HF_HUB_OFFLINE=1``). The connection, name
    lookup included, is tried in a daemon thread, so a resolver that hangs counts against the
    same limit and cannot hold the process at exit.
    """
    from huggingface_hub import constants

    if constants.is_offline_mode():
        return False
    address = _probe_address(constants.ENDPOINT)
    answered = threading.Event()

    def connect() -> None:
        try:
            socket.create_connection(address, timeout=HUB_PROBE_SECONDS).close()
        except OSError:
            return
        answered.set()

    threading.Thread(target=connect, name="sitegen-hub-probe", daemon=True).start()
    return answered.wait(HUB_PROBE_SECONDS)


def refuse_unreachable_download(options: ModelOptions, model: str) -> None:
    """Stop at once when ``model``'s weights must come from a hub that cannot be reached and
    whose cache holds no model at all: the first run of a machine without internet.

    Nothing can be cached then, so there is no need to import torch and open_clip (seconds of a
    newcomer's wait) to learn that the weights are missing. With anything in the cache the
    fetch itself decides, through ``_hub_downloads``. Imports nothing heavy.

    Parameters
    ----------
    model : {"clip", "sam"}

    Raises
    ------
    WeightsError
    """
    if options.random_weights:
        return
    if model == "clip" and not Path(options.clip_pretrained).expanduser().is_file():
        what = f"CLIP weights {options.clip_model} / {options.clip_pretrained}"
    elif model == "sam" and options.sam_config is None:
        what = f"SAM 2 weights {options.sam_model}"
    else:
        return  # local files
    from huggingface_hub import constants

    if any(Path(constants.HF_HUB_CACHE).glob("models--*")) or hub_reachable():
        return
    raise _offline_error(what)


@contextmanager
def _hub_downloads() -> Iterator[None]:
    """Fetch as huggingface_hub does when the hub answers; from its cache only when it does not.

    Offline, huggingface_hub's own offline switch (what ``HF_HUB_OFFLINE=1`` sets) is turned on
    for the fetch and back off after: cached weights load at once, missing ones fail at once.
    """
    from huggingface_hub import constants

    if hub_reachable():
        yield
        return
    saved = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = saved


def clip_checkpoint(model_name: str, pretrained: str) -> str:
    """Return the checkpoint file for ``--clip-pretrained``: a known tag first, then a file.

    Raises
    ------
    WeightsError
        When ``pretrained`` is neither a tag of ``model_name`` (the message lists them) nor an
        existing file, or when a tag's weights are not cached and cannot be downloaded.
    """
    import open_clip

    tag_cfg = open_clip.get_pretrained_cfg(model_name, pretrained)
    if tag_cfg:
        try:
            with _hub_downloads():
                return open_clip.download_pretrained(tag_cfg)
        except _FETCH_ERRORS as error:
            raise _offline_error(f"CLIP weights {model_name} / {pretrained}") from error
    path = Path(pretrained).expanduser()
    if path.is_file():
        return str(path)
    tags = ", ".join(open_clip.list_pretrained_tags_by_model(model_name)) or "none"
    raise WeightsError(
        f"--clip-pretrained {pretrained!r} is neither a pretrained tag of {model_name} ({tags}) "
        "nor an existing file; pass one of those tags or the path of a checkpoint"
    )


def _sam_config_name(name: str) -> str:
    """The packaged SAM 2 config called ``name`` (full name, file name or stem)."""
    import sam2

    root = Path(sam2.__file__).parent
    configs = sorted(
        path.relative_to(root).as_posix()
        for folder in ("sam2", "sam2.1")
        for path in (root / "configs" / folder).glob("*.yaml")
    )
    for config in configs:
        if name in (config, Path(config).name, Path(config).stem):
            return config
    stems = ", ".join(Path(config).stem for config in configs)
    raise WeightsError(f"--sam-config {name!r} is not a SAM 2 config; choose one of {stems}")


def sam_weights(options: ModelOptions) -> SamWeights:
    """Resolve the SAM 2 config and checkpoint file (downloaded into the hub cache if needed).

    With ``random_weights`` nothing is fetched and the checkpoint is None.

    Raises
    ------
    WeightsError
        For an unknown hub id or config, a missing checkpoint file, or weights that are neither
        cached nor downloadable.
    """
    from sam2.build_sam import HF_MODEL_ID_TO_FILENAMES

    if options.sam_config is not None:
        config = _sam_config_name(options.sam_config)
        if options.random_weights:
            return SamWeights(config, None)
        path = Path(options.sam_checkpoint).expanduser()
        if not path.is_file():
            raise WeightsError(f"--sam-checkpoint {str(path)!r}: no such file; pass a SAM 2 checkpoint's path")
        return SamWeights(config, str(path))
    if options.sam_model not in HF_MODEL_ID_TO_FILENAMES:
        known = ", ".join(HF_MODEL_ID_TO_FILENAMES)
        raise WeightsError(
            f"--sam-model {options.sam_model!r} is not a SAM 2 hub id; choose one of {known}, "
            "or pass --sam-checkpoint PATH --sam-config NAME"
        )
    config, filename = HF_MODEL_ID_TO_FILENAMES[options.sam_model]
    if options.random_weights:
        return SamWeights(config, None)
    from huggingface_hub import hf_hub_download

    try:
        with _hub_downloads():
            return SamWeights(config, hf_hub_download(repo_id=options.sam_model, filename=filename))
    except _FETCH_ERRORS as error:
        raise _offline_error(f"SAM 2 weights {options.sam_model} / {filename}") from error


def create_clip_model(model_name: str, checkpoint: str | None):
    """``open_clip.create_model``, loading ``checkpoint`` with open_clip's loader when given.

    open_clip reads torch files with ``weights_only=True`` (and safetensors), converts
    third-party layouts and loads strictly. Without a checkpoint the model is untrained.
    """
    import open_clip

    if checkpoint is None:
        # open_clip warns on the root logger that the model is untrained: that is the point of
        # --random-weights, which every page already states, so the warning is held back.
        logging.disable(logging.WARNING)
        try:
            return open_clip.create_model(model_name, pretrained=None)
        finally:
            logging.disable(logging.NOTSET)
    try:
        return open_clip.create_model(model_name, pretrained=checkpoint, weights_only=True)
    except _LOAD_ERRORS as error:
        raise WeightsError(
            f"{checkpoint}: cannot load it into the CLIP model ({type(error).__name__}); "
            "pass a checkpoint of tensors saved for the --clip-model architecture"
        ) from error


def load_sam_weights(model, path: str) -> None:
    """Load a SAM 2 checkpoint (``{"model": state_dict}`` or a bare state dict) into ``model``."""
    import torch

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        state = checkpoint["model"] if "model" in checkpoint else checkpoint
        model.load_state_dict(state, strict=True)
    except (*_LOAD_ERRORS, TypeError) as error:
        raise WeightsError(
            f"{path}: cannot load it into the SAM 2 model ({type(error).__name__}); "
            "pass a checkpoint of tensors that matches --sam-config"
        ) from error


def _file_identity(path: Path) -> dict:
    """Size, modification time and a hash of the first megabyte: a changed file changes these."""
    stat = path.stat()
    with path.open("rb") as handle:
        head = hashlib.sha256(handle.read(HASHED_BYTES)).hexdigest()
    return {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256_first_mb": head}


def weights_identity(options: ModelOptions) -> dict:
    """What identifies both models' weights, for cache keys (device excluded).

    ``ModelOptions.identity()`` plus, for each local checkpoint file actually used, its
    ``_file_identity`` (a file replaced in place changes the key). Nothing is downloaded or loaded.
    """
    identity = options.identity()
    if options.random_weights:
        return identity
    for key in ("clip_pretrained", "sam_checkpoint"):
        value = identity[key]
        if value is not None and Path(value).expanduser().is_file():
            identity[key] = _file_identity(Path(value).expanduser())
    return identity
