"""``--config FILE.toml``: named variants of the pipeline options, compared in one build.

A config file holds ``[variants.NAME]`` tables of option values, written with the command
line's option names (``min-confidence = 0.2``, ``prompt-mode = "separate"``). Each variant
starts from the options of the command line and changes only what its table says. The command
line's own options are the base variant, named ``base`` unless the file's top-level ``base``
key names it::

    base = "default"            # optional: the name of the command line's variant

    [variants.low-threshold]
    min-confidence = 0.2

    [variants.separate-points]
    prompt-mode = "separate"
    points-per-cluster = 3

Every option of ``PipelineOptions`` may differ per variant, the SCLIP ones included (variants
with equal ``dense_fields()`` share the CLIP windows; every variant shares the SAM image
embedding), except ``max-pixels``: the image is decoded once for all variants. The model options
(``--clip-model``, ``--sam-model``, ``--device``, ...) may not either: the models are loaded once
per build, so they are the same for every variant. A variant naming one of these is an error. Anything wrong in the file is one ``ConfigError`` line naming
the file, the variant and the key, raised before any model loads.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import typing
from dataclasses import dataclass
from pathlib import Path

from sitegen.errors import OptionsError, SitegenError
from sitegen.options import ModelOptions, PipelineOptions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML with the tomli backport (a declared dependency)
    import tomli as tomllib

#: The base variant's name when the file does not give one.
BASE_NAME = "base"
#: A variant's name becomes part of page names (lowercased): letters, digits, ``-``, ``_``, at
#: most 40, starting and ending with a letter or digit, so names that differ ignoring case give
#: different page names.
NAME_PATTERN = re.compile(r"[A-Za-z0-9]([A-Za-z0-9_-]{0,38}[A-Za-z0-9])?")
_TYPES = typing.get_type_hints(PipelineOptions)
_TYPE_WORDS = {int: "an integer", float: "a number", str: "a string"}


class ConfigError(SitegenError):
    """The config file cannot be read or holds an unknown key or a bad value."""


@dataclass(frozen=True)
class Variant:
    """One named configuration of the pipeline.

    Attributes
    ----------
    name : str
        Matches ``NAME_PATTERN``; unique (ignoring case) within a build.
    options : PipelineOptions
        The command line's options with this variant's values applied.
    changes : dict
        Only the values the config file set (kebab-case option name -> value), in file order;
        empty for the base variant.
    is_base : bool
        The command line's variant: its pages keep the paths of a build without ``--config``.
    """

    name: str
    options: PipelineOptions
    changes: dict = dataclasses.field(default_factory=dict)
    is_base: bool = False


def option_name(field: str) -> str:
    """The command line's name of a field: ``min_confidence`` -> ``min-confidence``."""
    return field.replace("_", "-")


#: Options that decide how an image is decoded: the same for every variant, which share it.
BUILD_KEYS = {"max-pixels"}
PIPELINE_KEYS = {option_name(name): name for name in _TYPES if option_name(name) not in BUILD_KEYS}
MODEL_KEYS = {option_name(f.name) for f in dataclasses.fields(ModelOptions)}


def single_variant(options: PipelineOptions) -> tuple[Variant, ...]:
    """The variants of a build without ``--config``: the command line's options, named ``base``."""
    return (Variant(BASE_NAME, options, {}, is_base=True),)


def read_config(path: Path, base: PipelineOptions) -> tuple[Variant, ...]:
    """Read the variants of a config file; the base variant (the command line's) comes first.

    Parameters
    ----------
    path : Path
        The TOML file.
    base : PipelineOptions
        The command line's options: the base variant, and what every other variant starts from.

    Returns
    -------
    tuple of Variant
        The base variant, then the file's variants in the order the file lists them.

    Raises
    ------
    ConfigError
        One line naming the file (and the variant and key where there is one): the file is
        missing or not TOML, a key is unknown or a model option, a value has the wrong type or
        is out of range, a name is malformed or used twice.
    """
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (a TOML config must be UTF-8)") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    unknown = sorted(set(document) - {"base", "variants"})
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} at the top level; only 'base' and [variants.NAME] tables belong there")
    base_name = document.get("base", BASE_NAME)
    if not isinstance(base_name, str):
        raise ConfigError(f"{path}: 'base' must be a string (the base variant's name), got {_kind(base_name)}")
    _check_name(path, base_name)
    tables = document.get("variants", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{path}: 'variants' must be tables [variants.NAME], got {_kind(tables)}")
    variants = [Variant(base_name, base, {}, is_base=True)]
    seen = {base_name.lower(): base_name}
    for name, table in tables.items():
        _check_name(path, name)
        if name.lower() in seen:
            raise ConfigError(f"{path}: [variants.{name}] uses the name of variant {seen[name.lower()]!r} (names must differ, ignoring case)")
        seen[name.lower()] = name
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: variants.{name} must be a table [variants.{name}] of options, got {_kind(table)}")
        variants.append(Variant(name, _apply(path, name, base, table), dict(table)))
    return tuple(variants)


def _check_name(path: Path, name: str) -> None:
    if not NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"{path}: variant name {name!r} must be 1 to 40 letters, digits, '-' or '_', starting and ending with a letter or digit"
        )


def _apply(path: Path, name: str, base: PipelineOptions, table: dict) -> PipelineOptions:
    """``base`` with the table's values, each checked for its key, type and range."""
    where = f"{path}: [variants.{name}]"
    values = {}
    for key, value in table.items():
        if key in MODEL_KEYS:
            raise ConfigError(
                f"{where} {key}: a model option is the same for every variant (models load once per build); set it on the command line"
            )
        if key in BUILD_KEYS:
            raise ConfigError(
                f"{where} {key}: decides how every image is decoded, the same for every variant (they share the image); set it on the command line"
            )
        if key not in PIPELINE_KEYS:
            raise ConfigError(f"{where} unknown option {key!r}; variants take: {', '.join(PIPELINE_KEYS)}")
        field = PIPELINE_KEYS[key]
        values[field] = _typed(where, key, value, _TYPES[field])
    try:
        return dataclasses.replace(base, **values)
    except OptionsError as error:
        raise ConfigError(f"{where} {str(error).removeprefix('--')}") from None


def _typed(where: str, key: str, value, kind: type):
    """The value as the option's type; an integer stands for a float, nothing else converts."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    raise ConfigError(f"{where} {key}: must be {_TYPE_WORDS[kind]}, got {_kind(value)} {value!r}")


def _kind(value) -> str:
    words = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", dict: "a table", list: "an array"}
    return words.get(type(value), type(value).__name__)
