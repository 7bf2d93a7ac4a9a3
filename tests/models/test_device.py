"""--device resolution."""

import pytest
import torch

from sitegen.errors import OptionsError
from sitegen.models.device import resolve_device


def test_cpu_is_always_cpu():
    assert resolve_device("cpu") == "cpu"


@pytest.mark.parametrize(("available", "expected"), [(True, "cuda"), (False, "cpu")])
def test_auto_follows_cuda_availability(monkeypatch, available, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    assert resolve_device("auto") == expected


def test_cuda_without_a_gpu_says_so(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(OptionsError, match="no CUDA device.*--device cpu"):
        resolve_device("cuda")


def test_unknown_device_is_refused():
    with pytest.raises(OptionsError, match="auto, cpu, cuda"):
        resolve_device("tpu")
