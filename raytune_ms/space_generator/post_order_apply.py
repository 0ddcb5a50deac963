"""PostOrderApply: the automatic design space. Every schedule rule is applied to every block,
rule after rule; where a rule returns several schedules the space branches, and the
schedules left after the last rule are the design spaces.

Blocks are collected once, in post order (children before parents, siblings in program
order, the root last), and each rule visits them from the end of that list: the root first,
then from the output side back to the inputs (consumers before producers, so inlining
proceeds into what is already settled). Blocks that a previous rule removed are skipped; a
block annotated `schedule_rule` is left to ApplyCustomRule alone.
"""

from __future__ import annotations

from ..schedule import Schedule, ScheduleError
from ..schedule.tree import block_path, stmt_children
from ..schedule_rule.apply_custom_rule import ApplyCustomRule
from ..schedule_rule.block_analysis import CUSTOM_RULE_KEY
from ..tir import BlockRealize
from .space_generator import FROM_TARGET, SpaceGenerator


def _post_order_names(func) -> list:
    out = []

    def walk(stmt):
        for child in stmt_children(stmt):
            walk(child)
        if isinstance(stmt, BlockRealize):
            out.append(stmt.block.name)

    walk(func.body)
    if len(set(out)) != len(out):
        dup = sorted({n for n in out if out.count(n) > 1})
        raise ValueError(f"PostOrderApply: block names must be unique, {dup} repeat")
    return out


class PostOrderApply(SpaceGenerator):
    """f_block_filter(block) -> bool, when given, keeps only the blocks it accepts (a
    tir.Block); the others never see a rule."""

    def __init__(self, f_block_filter=None, sch_rules=FROM_TARGET, postprocs=FROM_TARGET,
                 mutator_probs=FROM_TARGET):
        super().__init__(sch_rules, postprocs, mutator_probs)
        self.f_block_filter = f_block_filter

    def _initialize_with_tune_context(self, context) -> None:
        super()._initialize_with_tune_context(context)
        for part in list(self.sch_rules) + list(self.postprocs):
            part._initialize_with_tune_context(context)

    def generate_design_space(self, mod) -> list:
        if isinstance(self.sch_rules, str):
            raise ValueError("PostOrderApply: attach it to a TuneContext (or pass sch_rules) first")
        sch = Schedule(mod, seed=self.fork_seed())
        blocks = []
        for fname in sch.mod.get_global_vars():
            sch.work_on(fname)
            func = sch.mod[fname]
            for name in _post_order_names(func):
                node = block_path(func, name)[-1].block
                if self.f_block_filter is not None and not self.f_block_filter(node):
                    continue
                blocks.append((fname, sch.get_block(name, fname)))
        results = [sch]
        for rule in self.sch_rules:
            is_custom = isinstance(rule, ApplyCustomRule)
            done = []
            stack = [(s, len(blocks)) for s in reversed(results)]
            while stack:
                cur, n = stack.pop()
                if n == 0:
                    done.append(cur)
                    continue
                fname, block = blocks[n - 1]
                cur.work_on(fname)
                node = _alive(cur, block)
                if node is None or (not is_custom and isinstance(node.annotation(CUSTOM_RULE_KEY), str)):
                    stack.append((cur, n - 1))
                    continue
                for out in reversed(rule.apply(cur, block)):
                    stack.append((out, n - 1))
            results = done
        return results


def _alive(sch, block):
    try:
        return sch.get(block)
    except ScheduleError:
        return None
