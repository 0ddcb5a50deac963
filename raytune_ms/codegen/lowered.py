"""The lowered loop program: what `lower` produces and every back end (and compaction) reads.

Its body holds only For, SeqStmt, IfThenElse, BufferStore, Evaluate and `Allocate` statements.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..tir import Stmt


class Allocate(Stmt):
    """`buffer` exists (uninitialised) while `body` runs."""

    __slots__ = ("buffer", "body")
    _fields = ("buffer", "body")

    def __init__(self, buffer, body):
        self.buffer = buffer
        self.body = body

    def __repr__(self):
        return f"Allocate({self.buffer.name}, {self.buffer.shape}, {self.buffer.scope})"


@dataclass
class LoweredFunc:
    """A lowered PrimFunc: its name, its parameter buffers and the loop program."""

    name: str
    params: tuple
    body: Stmt
