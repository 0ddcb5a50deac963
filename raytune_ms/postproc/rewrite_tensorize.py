"""RewriteTensorize: tensorize every block MultiLevelTilingTensorCore marked
(`meta_schedule.auto_tensorize` = an intrinsic name: its innermost loops become that
intrinsic) and the init block RewriteReductionBlock split off a block marked
`meta_schedule.auto_tensorize_init`. A marked nest that no longer matches its intrinsic
rejects the candidate: fragment buffers cannot be reached any other way.
`vectorize_init_loop` is the reference's parameter; the wmma init is one fill call, so it has
no effect here."""

from __future__ import annotations

from ..schedule import ScheduleError
from ..schedule_rule.multi_level_tiling_tensor_core import AUTO_TENSORIZE_INIT_KEY, AUTO_TENSORIZE_KEY
from ..tir import Block, collect
from .postproc import Postproc


class RewriteTensorize(Postproc):
    def __init__(self, vectorize_init_loop: bool = False):
        self.vectorize_init_loop = bool(vectorize_init_loop)

    def apply(self, sch) -> bool:
        for fname in sch.mod.get_global_vars():
            sch.work_on(fname)
            blocks = {b.name: b for b in collect(sch.mod[fname].body, Block)}
            for name, b in blocks.items():
                try:
                    init = b.annotation(AUTO_TENSORIZE_INIT_KEY)
                    if init is not None:
                        rv = sch.get_block(name, fname)
                        sch.unannotate(rv, AUTO_TENSORIZE_INIT_KEY)
                        if f"{name}_init" not in blocks:
                            return False
                        sch.tensorize(sch.get_block(f"{name}_init", fname), init)
                    intrin = b.annotation(AUTO_TENSORIZE_KEY)
                    if intrin is not None:
                        rv = sch.get_block(name, fname)
                        sch.unannotate(rv, AUTO_TENSORIZE_KEY)
                        sch.tensorize(rv, intrin)
                except ScheduleError:
                    return False
        return True
