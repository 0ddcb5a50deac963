"""get_block / get_loops / get_child_blocks / get_producers / get_consumers / get, and
functions in a multi-function module."""


from raytune_ms import tir
from raytune_ms.schedule import BlockRV, LoopRV, Schedule, ScheduleError
from raytune_ms.testing import assert_error_leaves_unchanged, chain, matmul


def test_get_block_and_loops():
    sch = Schedule(matmul())
    b = sch.get_block("C")
    assert isinstance(b, BlockRV) and sch.get(b).name == "C"
    loops = sch.get_loops(b)
    assert all(isinstance(x, LoopRV) for x in loops)
    assert [sch.get(x).loop_var.name for x in loops] == ["i", "j", "k"]
    assert_error_leaves_unchanged(sch, lambda: sch.get_block("nope"), "'nope'")


def test_child_blocks():
    sch = Schedule(matmul())
    root = sch.get_block("root")
    kids = sch.get_child_blocks(root)
    assert [sch.get(k).name for k in kids] == ["C", "D"]
    i, _, _ = sch.get_loops(sch.get_block("C"))
    assert [sch.get(k).name for k in sch.get_child_blocks(i)] == ["C"]


def test_producers_and_consumers():
    sch = Schedule(chain())
    b, c = sch.get_block("B"), sch.get_block("C")
    assert [sch.get(x).name for x in sch.get_producers(c)] == ["B"]
    assert [sch.get(x).name for x in sch.get_consumers(b)] == ["C"]
    assert sch.get_producers(b) == []


def test_rvs_from_another_schedule_are_rejected():
    s1, s2 = Schedule(matmul()), Schedule(matmul())
    b = s1.get_block("C")
    assert_error_leaves_unchanged(s2, lambda: s2.get_loops(b), "not a random variable")
    assert_error_leaves_unchanged(s2, lambda: s2.parallel(b), "LoopRV")


def test_multi_function_module_work_on():
    mod = tir.IRModule({"mm": matmul(), "ch": chain()})
    sch = Schedule(mod)
    assert sch.func_working_on is None
    try:
        sch.get_block("C")
    except ScheduleError as e:
        assert "work_on" in str(e)
    else:
        raise AssertionError
    b = sch.get_block("B", func_name="ch")
    sch.parallel(sch.get_loops(b)[0])
    sch.work_on("mm")
    i, _, _ = sch.get_loops(sch.get_block("C"))
    sch.split(i, [4, 4])
    assert sch.mod["ch"] is not mod["ch"] and sch.mod["mm"] is not mod["mm"]
    # the trace replays on the original module
    fresh = Schedule(mod)
    fresh.work_on("mm")
    sch.trace.apply_to_schedule(fresh)
    tir.assert_structural_equal(fresh.mod, sch.mod)
    try:
        sch.work_on("zz")
    except ScheduleError as e:
        assert "'zz'" in str(e)


def test_copy_is_independent_and_keeps_rvs_valid():
    sch = Schedule(matmul(), seed=5)
    b = sch.get_block("C")
    i, _, _ = sch.get_loops(b)
    other = sch.copy()
    other.split(i, [2, 8])
    assert len(sch.trace) == 2 and len(other.trace) == 3
    assert sch.get(i).extent.value == 16
    assert sch.sample_categorical([1, 2, 3], [1, 1, 1]) is not None
    mine = sch.get(sch.trace.insts[-1].outputs[0])
    assert mine == other.get(other.sample_categorical([1, 2, 3], [1, 1, 1]))
