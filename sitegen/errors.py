"""Errors a user can act on.

Every message is one line that names the input at fault and says what to do. The site loop
catches a per-image ``SitegenError``, records it and goes on; ``cli.py`` catches the rest once,
prints the message and exits 1. Nothing here imports anything from the rest of sitegen.
"""

#: What reduces the memory one image needs, for the message of an image that ran out of it.
OUT_OF_MEMORY_ADVICE = (
    "lower --max-pixels, or use fewer SAM prompts (raise --min-confidence or --min-region-size)"
)


class SitegenError(Exception):
    """Base class: ``str(error)`` is the one-line message shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ImageError(SitegenError):
    """An input image cannot be decoded or used (the message names the file)."""


class VocabularyError(SitegenError):
    """The vocabulary is missing, empty or malformed (the message names the line)."""


class WeightsError(SitegenError):
    """Model weights cannot be found, downloaded or loaded."""


class OptionsError(SitegenError):
    """An option value is out of range or options contradict each other."""


class OutputError(SitegenError):
    """The output folder is unsafe to write (foreign files, inside the input, locked)."""


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` says the machine ran out of memory, rather than that sitegen has a bug.

    Python's ``MemoryError``; torch's ``OutOfMemoryError`` (CUDA, and the base class of the
    others in recent torch), recognised by name so that nothing here imports torch; and the
    ``RuntimeError`` torch raises when its CPU or MPS allocator cannot get the memory.
    """
    if isinstance(error, MemoryError):
        return True
    if any(cls.__name__ == "OutOfMemoryError" for cls in type(error).__mro__):
        return True
    message = str(error)
    return isinstance(error, RuntimeError) and ("can't allocate memory" in message or "out of memory" in message)


class GroundTruthError(SitegenError):
    """A ground-truth file or the ``--gt-labels`` mapping cannot be used (the message names it)."""
