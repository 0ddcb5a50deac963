"""Trace: the recorded program of schedule calls, with the decisions of its sampling calls.

A trace replays on a fresh Schedule of the original program (`apply_to_schedule`), optionally
with other decisions (how mutators explore the space) or without its postprocessing tail;
serialises to plain JSON `[instructions, decisions]` where an instruction is
`[kind, inputs, attrs, outputs]` and a decision `[instruction index, value]` (random variables
are named "b0", "l1", "v2" in order of definition, string literals in inputs are quoted);
and prints as a Python script that rebuilds the schedule.
"""

from __future__ import annotations

import json
from collections import OrderedDict

from .error import ScheduleError
from .instruction import Instruction, InstructionKind
from .random_variable import RV, RV_TYPES, SPECIAL_LOOPS, _Special

#: instruction lists whose JSON text compact_json remembers (a search's design spaces and the
#: lists its replays and postprocessors made lately)
INSTRUCTION_TEXTS_KEPT = 256
_INSTRUCTION_TEXTS: OrderedDict = OrderedDict()  # tuple of instruction ids -> (the instructions, JSON text)


class Trace:
    __slots__ = ("insts", "decisions")

    def __init__(self, insts=(), decisions=None):
        self.insts = list(insts)
        self.decisions = dict(decisions or {})

    # ------------------------------------------------------------------ building

    def append(self, inst: Instruction, decision=None) -> None:
        self.insts.append(inst)
        if decision is not None:
            self.decisions[inst] = decision

    def pop(self):
        """Remove and return the last instruction (with its decision)."""
        if not self.insts:
            return None
        inst = self.insts.pop()
        self.decisions.pop(inst, None)
        return inst

    def get_decision(self, inst):
        return self.decisions.get(inst)

    def copy(self) -> Trace:
        out = Trace.__new__(Trace)  # (every replay-cache step copies a trace: no re-checks)
        out.insts = self.insts[:]
        out.decisions = self.decisions.copy()
        return out

    def __len__(self):
        return len(self.insts)

    def instructions(self, remove_postproc: bool = False) -> list:
        """The instructions a replay applies: all of them, or (remove_postproc) those before
        the first postprocessing instruction, which is what mutators and the search work on."""
        if not remove_postproc:
            return self.insts
        for i, inst in enumerate(self.insts):
            if inst.kind.is_postproc:
                return self.insts[:i]
        return self.insts

    # ------------------------------------------------------------------ replay

    def apply_to_schedule(self, sch, remove_postproc: bool = False, decision_provider=None) -> None:
        """Replay on `sch` (normally a fresh Schedule of the original program).

        `decision_provider(inst, inputs, attrs, decision) -> decision` may replace decisions."""
        rv_map: dict = {}
        decisions = self.decisions
        for inst in self.instructions(remove_postproc):
            inputs = [translate(x, rv_map) for x in inst.inputs]
            decision = decisions.get(inst)
            if decision_provider is not None:
                decision = decision_provider(inst, inputs, inst.attrs, decision)
            outputs = inst.kind.apply(sch, inputs, inst.attrs, decision)
            if len(outputs) != len(inst.outputs):
                raise ScheduleError(
                    f"replaying {inst.kind.name}: expected {len(inst.outputs)} outputs, "
                    f"got {len(outputs)}"
                )
            for old, new in zip(inst.outputs, outputs):
                rv_map[old] = new

    def with_decision(self, inst: Instruction, decision, remove_postproc: bool) -> Trace:
        """A new trace with `inst`'s decision replaced (postprocessing dropped if asked)."""
        insts = self.instructions(remove_postproc)
        kept = set(insts)
        if inst not in kept:
            raise ValueError(f"{inst!r} is not in this trace")
        out = Trace(insts, {i: d for i, d in self.decisions.items() if i in kept})
        out.decisions[inst] = decision
        return out

    def simplified(self, remove_postproc: bool) -> Trace:
        """Dead-code elimination: drop pure instructions none of whose outputs is used later."""
        insts = self.instructions(remove_postproc)
        used: set = set()
        kept = []
        for inst in reversed(insts):
            if inst.kind.is_pure and not any(o in used for o in inst.outputs):
                continue
            kept.append(inst)
            used.update(inst.input_rvs())
        kept.reverse()
        return Trace(kept, {i: self.decisions[i] for i in kept if i in self.decisions})

    # ------------------------------------------------------------------ naming

    def _names(self, insts) -> dict:
        names: dict = {}
        for inst in insts:
            for o in inst.outputs:
                names[o] = f"{o.prefix}{len(names)}"
        return names

    @staticmethod
    def _name_of(x, names):
        if isinstance(x, _Special):
            return x.name
        name = names.get(x)
        if name is None:
            raise ScheduleError(f"trace uses random variable {x!r} that no instruction defines")
        return name

    # ------------------------------------------------------------------ JSON

    def compact_json(self) -> str:
        """`json.dumps(self.as_json(), separators=(",", ":"))`, the instructions' part
        remembered per list of instruction objects (the last INSTRUCTION_TEXTS_KEPT lists): a
        mutated trace shares its parent's instructions and differs in decisions only, and the
        search keys thousands of them per batch."""
        insts = self.insts
        sig = tuple(map(id, insts))
        hit = _INSTRUCTION_TEXTS.get(sig)
        if hit is None:
            text = json.dumps(self._encode(insts), separators=(",", ":"))
            hit = _INSTRUCTION_TEXTS[sig] = (tuple(insts), text)  # (holding the objects keeps their ids unique)
            if len(_INSTRUCTION_TEXTS) > INSTRUCTION_TEXTS_KEPT:
                _INSTRUCTION_TEXTS.popitem(last=False)
        else:
            _INSTRUCTION_TEXTS.move_to_end(sig)
        return f"[{hit[1]},{json.dumps(self._encode_decisions(insts), separators=(',', ':'))}]"

    def as_json(self, remove_postproc: bool = False) -> list:
        insts = self.instructions(remove_postproc)
        return [self._encode(insts), self._encode_decisions(insts)]

    def _encode_decisions(self, insts) -> list:
        """The JSON form of the decisions of `insts`: [index in insts, value] each."""
        decisions = self.decisions
        return [[idx, _plain(decisions[inst])] for idx, inst in enumerate(insts) if inst in decisions]

    def _encode(self, insts) -> list:
        """The JSON form of instructions `insts` ([kind, inputs, attrs, outputs] each)."""
        names = self._names(insts)

        def enc(x):
            if isinstance(x, RV):
                return self._name_of(x, names)
            if isinstance(x, str):
                return json.dumps(x)
            if isinstance(x, (list, tuple)):
                return [enc(y) for y in x]
            return x

        out_insts = [[inst.kind.name, [enc(x) for x in inst.inputs], _plain(inst.attrs),
                      [names[o] for o in inst.outputs]] for inst in insts]
        enc = None  # (a closure that calls itself is a reference cycle until its cell is emptied)
        return out_insts

    @staticmethod
    def from_json(obj) -> Trace:
        if isinstance(obj, (str, bytes)):
            obj = json.loads(obj)
        if not isinstance(obj, (list, tuple)) or len(obj) != 2:
            raise ValueError("a trace's JSON is [instructions, decisions]")
        raw_insts, raw_dec = obj
        names: dict = {}

        def dec(x):
            if isinstance(x, str):
                if x.startswith('"'):
                    return json.loads(x)
                if x in names:
                    return names[x]
                if x in SPECIAL_LOOPS:
                    return SPECIAL_LOOPS[x]
                raise ValueError(f"trace JSON refers to undefined random variable {x!r}")
            if isinstance(x, list):
                return [dec(y) for y in x]
            return x

        insts = []
        for k, entry in enumerate(raw_insts):
            if not isinstance(entry, (list, tuple)) or len(entry) != 4:
                raise ValueError(
                    f"trace JSON instruction {k} is not [kind, inputs, attrs, outputs]: {entry!r}")
            kind, inputs, attrs, outputs = entry
            inputs = [dec(x) for x in inputs]
            outs = []
            for name in outputs:
                cls = RV_TYPES.get(name[:1])
                if cls is None:
                    raise ValueError(f"trace JSON output name {name!r} must start with b, l or v")
                rv = cls()
                names[name] = rv
                outs.append(rv)
            insts.append(Instruction(InstructionKind.get(kind), inputs, _frozen(attrs), outs))
        decisions = {}
        for idx, value in raw_dec:
            decisions[insts[idx]] = value
        return Trace(insts, decisions)

    # ------------------------------------------------------------------ Python

    def as_python(self, remove_postproc: bool = False) -> list:
        """The trace as lines of Python calling `sch.<primitive>(...)`."""
        insts = self.instructions(remove_postproc)
        names = self._names(insts)

        def py(x):
            if isinstance(x, RV):
                return self._name_of(x, names)
            if isinstance(x, (list, tuple)):
                return "[" + ", ".join(py(y) for y in x) + "]"
            return repr(x)

        lines = []
        for inst in insts:
            lines.append(inst.kind.to_python(
                [py(x) for x in inst.inputs], inst.attrs, self.decisions.get(inst),
                [names[o] for o in inst.outputs],
            ))
        return lines

    def __str__(self):
        return "\n".join(self.as_python())

    def show(self, remove_postproc: bool = False) -> None:
        print("\n".join(self.as_python(remove_postproc)))

    def __repr__(self):
        return f"Trace({len(self.insts)} instructions)\n{self}"


def translate(x, rv_map: dict):
    """An instruction input with the trace's random variables replaced by the replaying
    schedule's (`rv_map`); ScheduleError for one no earlier instruction defined."""
    if isinstance(x, RV):
        if isinstance(x, _Special):
            return x
        try:
            return rv_map[x]
        except KeyError:
            raise ScheduleError(f"trace uses random variable {x!r} before defining it") from None
    if isinstance(x, (list, tuple)):
        return [translate(y, rv_map) for y in x]
    return x


def _plain(x):
    if isinstance(x, (list, tuple)):
        return [_plain(y) for y in x]
    return x


def _frozen(x):
    if isinstance(x, (list, tuple)):
        return tuple(_frozen(y) for y in x)
    return x
