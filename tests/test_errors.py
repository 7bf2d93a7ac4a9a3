"""Which errors count as running out of memory (reported with the options that reduce it)."""

import pytest
import torch

from sitegen.errors import SitegenError, is_out_of_memory


@pytest.mark.parametrize(
    "error",
    [
        MemoryError(),
        torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
        RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: you tried to allocate 8589934592 bytes."),
        RuntimeError("MPS backend out of memory (MPS allocated: 17.00 GB)"),
    ],
)
def test_out_of_memory_errors_are_recognised(error):
    assert is_out_of_memory(error)


@pytest.mark.parametrize(
    "error",
    [ValueError("out of memory"), RuntimeError("shapes do not broadcast"), SitegenError("memory"), KeyError("x")],
)
def test_other_errors_are_not(error):
    assert not is_out_of_memory(error)
