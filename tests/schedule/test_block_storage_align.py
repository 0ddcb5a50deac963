"""storage_align: strides on the buffer everywhere it appears, composition, errors."""

import pytest

from raytune_ms import tir
from raytune_ms.schedule import ScheduleError
from raytune_ms.schedule.primitives.block_cache import cache_read
from raytune_ms.schedule.primitives.block_storage_align import storage_align
from raytune_ms.testing import assert_same_result, loops_of
from raytune_ms.testing import bare_matmul as matmul


def shared_a():
    f = matmul(8, 8, 30)
    return cache_read(f, "C", 0, "shared")


def all_buffers(func, name):
    out = []
    tir.post_order_visit(
        func.body, lambda n: out.append(n) if isinstance(n, tir.Buffer) and n.name == name else None)
    return {id(b): b for b in out}.values()


def test_pads_row_stride_everywhere():
    f, name = shared_a()
    g = storage_align(f, name, 0, 0, 32, 1)
    bufs = list(all_buffers(g, name))
    assert len(bufs) == 1 and bufs[0].strides == (33, 1)
    assert_same_result(matmul(8, 8, 30), g)
    h = storage_align(g, name, 0, -2, 32, 1)
    assert list(all_buffers(h, name))[0].strides == (33, 1)


def test_errors():
    f, name = shared_a()
    with pytest.raises(ScheduleError, match=r"buffer 'C' written by block 'C' is a parameter"):
        storage_align(f, "C", 0, 0, 32, 1)
    with pytest.raises(ScheduleError, match=r"axis 1 of buffer 'A_shared' is the innermost"):
        storage_align(f, name, 0, 1, 32, 1)
    with pytest.raises(ScheduleError, match=r"axis 2 is out of range for the 2-d buffer 'A_shared'"):
        storage_align(f, name, 0, 2, 32, 1)
    with pytest.raises(ScheduleError, match=r"0 <= offset < factor"):
        storage_align(f, name, 0, 0, 32, 32)
    with pytest.raises(ScheduleError, match=r"has 1 written buffer"):
        storage_align(f, name, 1, 0, 32, 1)
    assert loops_of(f, name)  # the input function is untouched
