"""MultiLevelTiling moves the column panel's loop outermost only in the design space that packs
the panel: without packing, a convolution keeps rows outermost, so its padding stage can be
computed per row tile once instead of once per output-channel panel. Replays of every space
match numpy through gcc."""

from raytune_ms import workloads
from raytune_ms.testing.design_spaces import AVX512, check_numpy, context, replays


def _outer_loop_and_packing(sch):
    packs = any(i.kind.name == "CacheRead" for i in sch.trace.insts)
    outer = sch.get(sch.get_loops(sch.get_block("conv2d_nhwc"))[0]).loop_var.name
    return outer, packs


def test_panel_first_only_when_packed():
    wl = workloads.get("C2D", "standard")
    ctx = context(wl.func, AVX512)
    seen = set()
    for sch in ctx.generate_design_space():
        outer, packs = _outer_loop_and_packing(sch)
        seen.add(packs)
        assert outer.startswith("co_") == packs, (outer, packs)
    assert seen == {True, False}


def test_replays_match_numpy():
    wl = workloads.get("C2D", "small")
    ctx = context(wl.func, AVX512)
    accepted, _ = replays(ctx, 6, seed=1)
    assert accepted
    for sch in accepted:
        check_numpy(wl.func, sch, interpreter=False)
