"""A one-image memo: values several figures of one image need, computed once per image."""

from __future__ import annotations

import functools
import threading
import weakref


def remember_last(function):
    """Decorator: ``function(key, *args)`` computed once for the last ``key`` (by identity) and ``args``.

    Steps render one image after another, and several of them need the same thing made from it
    (the photo asset, the kept regions' outlines). ``key`` is an array or record of that image,
    held weakly, so nothing is kept past its image; a new key forgets the old values. Steps of
    one image render in parallel threads, so callers take turns: the second waits for the first's
    value instead of computing it again.
    """
    owner = None
    values: dict = {}
    lock = threading.Lock()

    @functools.wraps(function)
    def remembered(key, *args):
        nonlocal owner, values
        with lock:
            if owner is None or owner() is not key:
                owner, values = weakref.ref(key), {}
            if args not in values:
                values[args] = function(key, *args)
            return values[args]

    return remembered
