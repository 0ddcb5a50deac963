"""compile_model: a PyTorch model run on this project's kernels, each with the best schedule a
database holds for its task.

A task with no record of its own borrows the trace of a task with the same anchor block (a conv
tuned once serves its fused variants, see trace_apply); the rest run unscheduled, and one
warning lists them. Constants (weights, folded batch norms) are bound once, every intermediate
buffer is allocated once; a call copies the inputs in and the outputs out.
"""

from __future__ import annotations

import warnings

import numpy as np

from .codegen.build import build
from .database.database import new_schedule
from .schedule import Schedule, ScheduleError
from .torch_integration import as_target, tasks_of_lowered
from .trace_apply import anchor_key, schedule_using_anchor_trace


def _schedules(database, tasks, target) -> tuple:
    """(task key -> (Schedule, how)): how is "tuned", "anchor:<task>" or "unscheduled"."""
    chosen, traces = {}, {}
    for key, task in tasks.items():
        record = database.query_tuning_record(task.mod, target, "main")
        if record is not None:
            sch = database.query_schedule(task.mod, target, "main")  # under "anchor-block": a trace that fits
            chosen[key] = (sch, "tuned")
            anchor = anchor_key(task.mod)
            if anchor is not None:
                traces.setdefault(anchor, (task.task_name, record.trace))
    for key, task in tasks.items():
        if key in chosen:
            continue
        borrowed = traces.get(anchor_key(task.mod))
        if borrowed is not None:
            sch = new_schedule(task.mod)
            try:
                schedule_using_anchor_trace(sch, borrowed[1], target)
                chosen[key] = (sch, f"anchor:{borrowed[0]}")
                continue
            except (ScheduleError, ValueError):
                pass  # the trace does not fit: unscheduled below
        chosen[key] = (Schedule(task.mod), "unscheduled")
    return chosen


class CompiledModel:
    """The model as kernels called in graph order on buffers allocated once. Call it with the
    example inputs' shapes and dtypes (torch tensors or numpy arrays); it returns the same kind
    (one value, or a tuple when the model returns several)."""

    def __init__(self, lowered, kernels: list, how: dict):
        self.lowered = lowered
        self.how = how  # task name -> "tuned" / "anchor:<task>" / "unscheduled"
        self._env = {n: np.array(v, copy=True, order="C") for n, v in lowered.constants.items()}
        for name in lowered.inputs:
            self._env[name] = np.zeros(*lowered.values[name])
        self._steps = []
        for fn, kernel in zip(lowered.functions, kernels):
            for name in fn.outputs:
                self._env[name] = np.zeros(*lowered.values[name])
            if fn.torch_call is not None:
                self._steps.append((None, fn))
            else:
                self._steps.append((kernel, [self._env[n] for n in fn.inputs + fn.outputs]))

    def __call__(self, *inputs):
        from .torch_frontend.capture import to_numpy

        lowered = self.lowered
        if len(inputs) != len(lowered.inputs):
            raise TypeError(f"CompiledModel: the model takes {len(lowered.inputs)} inputs, got {len(inputs)}")
        as_torch = any(type(x).__module__.startswith("torch") for x in inputs)
        for name, x in zip(lowered.inputs, inputs):
            x = to_numpy(x)
            buf = self._env[name]
            if x.shape != buf.shape or x.dtype != buf.dtype:
                raise ValueError(
                    f"CompiledModel: input {name!r} is {x.shape} {x.dtype}, the model was compiled for "
                    f"{buf.shape} {buf.dtype}"
                )
            np.copyto(buf, x)
        for kernel, args in self._steps:
            if kernel is None:  # a node run through PyTorch
                for name, value in zip(args.outputs, args.torch_call(self._env)):
                    np.copyto(self._env[name], value)
            else:
                kernel(*args)
        outs = [self._env[n].copy() for n in lowered.outputs]
        if as_torch:
            import torch

            outs = [torch.from_numpy(o) for o in outs]
        return outs[0] if len(outs) == 1 else tuple(outs)


def compile_model(database, model, example_inputs, target, *, fuse: bool = True,
                  decompose: bool = False, fallback: str | None = None) -> CompiledModel:
    """The model lowered as extract_tasks lowers it, every task built once with its best
    schedule from `database` (see the module docstring for tasks without a record);
    fallback="torch" runs the nodes with no converter through PyTorch."""
    from .torch_frontend import lower_module

    target = as_target(target)
    lowered = lower_module(model, example_inputs, decompose=decompose, fuse=fuse, fallback=fallback)
    tasks, keys = tasks_of_lowered(lowered, target)
    chosen = _schedules(database, tasks, target)
    untuned = [tasks[k].task_name for k, (_, how) in chosen.items() if how == "unscheduled"]
    if untuned:
        warnings.warn(f"compile_model: {len(untuned)} task(s) have no tuning record and run unscheduled: "
                      f"{', '.join(untuned)}", stacklevel=2)
    built = {k: build(sch.mod, target) for k, (sch, _) in chosen.items()}
    how = {tasks[k].task_name: h for k, (_, h) in chosen.items()}
    return CompiledModel(lowered, [built.get(k) for k in keys], how)
