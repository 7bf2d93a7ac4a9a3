"""The build cache: model work done once per image, options and weights, then reused.

Three kinds of entries, each addressed by a sha256 key of everything that changes its value:

* ``results``: the whole ``PipelineResult`` of one image. Key: the image's bytes, every pipeline
  option, the vocabulary's classes and queries, and the identity of both models' weights.
* ``similarity``: the CLIP output (``DenseSimilarity``) of one image. Key: the image's bytes,
  the options of stage 3 (``PipelineOptions.dense_fields``), the queries and the CLIP weights.
  A changed threshold misses ``results`` but hits here, so only the stages after CLIP rerun.
* ``text``: one query's text embedding per CLIP weights and prompt templates, so a new class
  costs only its own queries.
* ``figures``: the rendered steps (and per-class details) of one result, so a rebuild after a
  template change only renders pages. Key: the result's key and the image's name and notes.

Every key also holds the sitegen version and a hash of the source code its entry came from (the
models for CLIP outputs and text, the stages too for results, the figures for figures), so an
entry made by other code, an upgrade or an edit in a source checkout, is simply never looked
up. Jinja templates are in no key: changing them rebuilds pages from the cache without a model.

Entries are gzip-compressed pickles written atomically. Loading a pickle runs whatever code its
author chose, so the cache is exactly as trustworthy as its folder: by default it is the user's
own ``~/.cache/sitegen`` (or ``$XDG_CACHE_HOME``), writable only by them like the pip and
Hugging Face caches beside it; never point ``--cache-dir`` at a folder others can write. Any entry
that cannot be read back (truncated, corrupt, from an incompatible version) is a miss and is
rewritten, never an error. The cache is never pruned; delete the folder to reclaim the space.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from sitegen import __version__
from sitegen.errors import OutputError
from sitegen.options import ModelOptions, PipelineOptions
from sitegen.records import DenseSimilarity, LoadedImage, PipelineResult, Vocabulary
from sitegen.site.output import write_atomically

CACHE_ENV = "SITEGEN_CACHE_DIR"
#: Fast compression: boolean masks and smooth maps shrink a lot even at the lowest levels.
COMPRESS_LEVEL = 1

Entry = TypeVar("Entry")


def default_cache_dir() -> Path:
    """``$SITEGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/sitegen``, else ``~/.cache/sitegen``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "sitegen"


def model_identity(models: ModelOptions) -> dict:
    """What identifies both models' weights (local checkpoint files by size, mtime and head hash)."""
    from sitegen.models.weights import weights_identity

    return weights_identity(models)


def clip_identity(models: ModelOptions) -> dict:
    """The part of ``model_identity`` that the CLIP output depends on (no SAM field)."""
    return {name: value for name, value in model_identity(models).items() if not name.startswith("sam_")}


def source_fingerprint(*modules: str) -> str:
    """sha256 of the Python source of ``modules`` (a package counts with all its files).

    Found without importing the modules (so no torch). Where no source is installed the hash
    covers the names only, and the sitegen version in every key still tells versions apart.
    """
    digest = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin)
        files = sorted(origin.parent.rglob("*.py")) if spec.submodule_search_locations else [origin]
        for path in files:
            digest.update(f"{name}:{path.relative_to(origin.parent).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


#: The code each kind of entry depends on.
ENTRY_CODE = {
    "text": ("sitegen.models",),
    "similarity": ("sitegen.records", "sitegen.models"),
    "result": (
        "sitegen.records", "sitegen.masks", "sitegen.class_scores", "sitegen.options",
        "sitegen.models", "sitegen.pipeline",
    ),
    "figures": ("sitegen.records", "sitegen.figures"),
}


def _vocabulary_key(vocabulary: Vocabulary) -> list:
    """Class names and queries in order (the line numbers of a vocabulary file do not matter)."""
    return [[c.name, list(c.queries)] for c in vocabulary.classes]


class ResultCache:
    """The on-disk cache under ``root`` (created on first use).

    Parameters
    ----------
    root : Path
        The cache folder (``--cache-dir``; ``default_cache_dir()`` otherwise).
    refresh : bool
        Ignore existing entries (every lookup misses) but still store new ones: ``--force``.
    """

    def __init__(self, root: Path, *, refresh: bool = False):
        self.root = Path(root)
        self.refresh = refresh
        self._code = {kind: source_fingerprint(*modules) for kind, modules in ENTRY_CODE.items()}
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(
                f"cannot create the cache folder {self.root} ({error.strerror}); pass a writable --cache-dir"
            ) from None

    # --- Keys ------------------------------------------------------------------------------------

    def _key(self, kind: str, **parts) -> str:
        text = json.dumps(
            {"kind": kind, "sitegen": __version__, "code": self._code[kind], **parts},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def result_key(
        self, image_bytes: bytes, vocabulary: Vocabulary, options: PipelineOptions, model_identity: dict
    ) -> str:
        """The key of one image's whole ``PipelineResult``."""
        return self._key(
            "result",
            image=hashlib.sha256(image_bytes).hexdigest(),
            vocabulary=_vocabulary_key(vocabulary),
            options=options.as_dict(),
            models=model_identity,
        )

    def similarity_key(
        self, image_bytes: bytes, queries: Sequence[str], dense_fields: dict, clip_identity: dict
    ) -> str:
        """The key of one image's CLIP output: only what stage 3 depends on."""
        return self._key(
            "similarity",
            image=hashlib.sha256(image_bytes).hexdigest(),
            queries=list(queries),
            options=dense_fields,
            clip=clip_identity,
        )

    def _text_key(self, clip_identity: dict, prompt_templates: Sequence[str], query: str) -> str:
        return self._key("text", clip=clip_identity, prompt_templates=list(prompt_templates), query=query)

    def figures_key(self, result_key: str, image: LoadedImage, per_class_details: bool) -> str:
        """The key of one result's rendered figures (which name the image and show its notes)."""
        return self._key(
            "figures",
            result=result_key,
            name=image.name,
            warnings=list(image.warnings),
            per_class_details=per_class_details,
        )

    # --- Entries ---------------------------------------------------------------------------------

    def get_result(self, key: str) -> PipelineResult | None:
        return self._get("results", key, PipelineResult)

    def put_result(self, key: str, result: PipelineResult) -> None:
        self._put("results", key, result)

    def get_similarity(self, key: str) -> DenseSimilarity | None:
        return self._get("similarity", key, DenseSimilarity)

    def put_similarity(self, key: str, similarity: DenseSimilarity) -> None:
        self._put("similarity", key, similarity)

    def get_figures(self, key: str) -> tuple | None:
        """``(steps, class_details)`` as ``render_steps`` and ``render_class_details`` made them."""
        return self._get("figures", key, tuple)

    def put_figures(self, key: str, figures: tuple) -> None:
        self._put("figures", key, figures)

    def text_embeddings(
        self,
        clip_identity: dict,
        prompt_templates: Sequence[str],
        queries: Sequence[str],
        encode: Callable[[list[str]], np.ndarray],
        *,
        store: bool = True,
    ) -> np.ndarray:
        """(Q, D) float32 embeddings of ``queries``; ``encode`` runs only on the missing ones.

        ``encode(list_of_queries)`` returns their (n, D) float32 embeddings (the CLIP text
        tower); each result is stored per query, unless ``store`` is False (every shard but
        shard 0 of a sharded build, so that no two shards write one entry).
        """
        keys = [self._text_key(clip_identity, prompt_templates, query) for query in queries]
        found = {key: self._get("text", key, np.ndarray) for key in dict.fromkeys(keys)}
        missing = [key for key, value in found.items() if value is None]
        if missing:
            missing_queries = [queries[keys.index(key)] for key in missing]
            computed = np.asarray(encode(missing_queries), dtype=np.float32)
            for key, embedding in zip(missing, computed):
                if store:
                    self._put("text", key, embedding)
                found[key] = embedding
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)

    def _path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.pkl.gz"

    def _get(self, kind: str, key: str, expected: type[Entry]) -> Entry | None:
        """The stored entry, or None when absent, unreadable or not of the expected type."""
        if self.refresh:
            return None
        try:
            value = pickle.loads(gzip.decompress(self._path(kind, key).read_bytes()))
        except Exception:  # noqa: BLE001 -- any unreadable entry is a miss (see the module docstring)
            return None
        return value if isinstance(value, expected) else None

    def _put(self, kind: str, key: str, value: object) -> None:
        path = self._path(kind, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = gzip.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), compresslevel=COMPRESS_LEVEL, mtime=0)
        write_atomically(path, data)
