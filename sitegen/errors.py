"""Errors a user can act on.

Every message is one line that names the input at fault and says what to do. The site loop
catches a per-image ``SitegenError``, records it and goes on; ``cli.py`` catches the rest once,
prints the message and exits 1. Nothing here imports anything from the rest of sitegen.
"""


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


class GroundTruthError(SitegenError):
    """A ground-truth file or the ``--gt-labels`` mapping cannot be used (the message names it)."""
