"""The register tile's rows are an output axis the streamed panel input does not use, so that
each vector loaded from the panel serves every row (capsule conv: the weight also varies with
the output's capsule column, which would make a bad row axis)."""

from raytune_ms import workloads
from raytune_ms.schedule import Schedule
from raytune_ms.schedule_rule.block_analysis import BlockInfo
from raytune_ms.schedule_rule.multi_level_tiling import MultiLevelTiling


def _rows_axis(name, block):
    rule = MultiLevelTiling()
    rule.lanes, rule.registers = 16, 32
    sch = Schedule(workloads.get(name, "standard").func)
    info = BlockInfo(sch, sch.get_block(block))
    vec, row = rule._axes(info)
    names = [iv.var.name for iv in info.block.iter_vars]
    return names[vec], (names[row] if row is not None else None)


def test_capsule_conv_rows_avoid_the_weights_axes():
    vec, row = _rows_axis("CAP", "conv2d_capsule_nhwijc")
    assert vec == "v_co" and row not in ("v_cap_j", None)


def test_matmul_rows_unchanged():
    assert _rows_axis("GMM", "C") == ("v_j", "v_i")
