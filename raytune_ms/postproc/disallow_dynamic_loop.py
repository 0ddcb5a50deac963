"""DisallowDynamicLoop: reject a program with a loop whose extent is not a constant."""

from __future__ import annotations

from ..schedule.tree import stmt_children
from ..tir import Block, BlockRealize, BufferStore, For, IntImm, SeqStmt
from .postproc import Postproc


def _static_loops(body) -> bool:
    """Whether every loop in the statement tree has a constant extent: a walk of the
    statements that stops at the first dynamic loop (it runs on every candidate's fresh tree;
    the common statement kinds are inlined)."""
    stack = [body]
    pop, push = stack.pop, stack.append
    while stack:
        s = pop()
        t = type(s)
        if t is For:
            if not isinstance(s.extent, IntImm):
                return False
            push(s.body)
        elif t is BlockRealize:
            push(s.block)
        elif t is Block:
            push(s.body)
            if s.init is not None:
                push(s.init)
        elif t is SeqStmt:
            stack.extend(s.seq)
        elif t is not BufferStore:
            stack.extend(stmt_children(s))
    return True


class DisallowDynamicLoop(Postproc):
    def apply(self, sch) -> bool:
        return all(_static_loops(func.body) for _, func in sch.mod.functions)
