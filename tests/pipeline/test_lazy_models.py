"""LazyModels: each model loaded once, and what lives as long as the models kept out of the
garbage collector's walks."""

import gc
import weakref

import pytest

import sitegen.models.clip
from sitegen.options import ModelOptions
from sitegen.pipeline.run import LazyModels


class _Cycle:
    """An object in a reference cycle: only the cyclic garbage collector can free it."""

    def __init__(self):
        self.me = self


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_loading_a_model_collects_garbage_then_freezes_what_lives(monkeypatch, unfrozen):
    loaded = []

    def load_clip(options, device):
        loaded.append((device, object()))
        return loaded[-1][1]

    monkeypatch.setattr(sitegen.models.clip, "load_clip", load_clip)
    models = LazyModels(ModelOptions(random_weights=True, device="cpu"))
    garbage = _Cycle()
    dead = weakref.ref(garbage)
    del garbage
    live = _Cycle()
    assert gc.get_freeze_count() == 0
    first = models.clip
    assert models.clip is first  # loaded once, then kept
    assert loaded == [("cpu", first)] and models.loads == 1
    assert dead() is None  # collected before the freeze, not kept for the whole build
    assert gc.get_freeze_count() > 0
    assert all(obj is not live for obj in gc.get_objects())  # frozen: no longer walked
    models.release()


def test_release_unfreezes_and_a_later_use_loads_again(monkeypatch, unfrozen):
    monkeypatch.setattr(sitegen.models.clip, "load_clip", lambda options, device: object())
    with LazyModels(ModelOptions(random_weights=True, device="cpu")) as models:
        first = models.clip
        live = _Cycle()
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    assert any(obj is live for obj in gc.get_objects())  # walked again
    assert models.clip is not first and models.loads == 2
    models.release()
    assert gc.get_freeze_count() == 0


def test_release_leaves_alone_what_it_did_not_freeze(unfrozen):
    models = LazyModels(ModelOptions(random_weights=True, device="cpu"))
    gc.freeze()
    frozen = gc.get_freeze_count()
    models.release()  # nothing loaded: nothing of its own to unfreeze
    assert gc.get_freeze_count() == frozen
