"""compile_model: a PyTorch model run on this project's kernels, each with the best schedule a
database holds for its task.

A task with no record of its own borrows the trace of a task with the same anchor block (a conv
tuned once serves its fused variants, see trace_apply); the rest run unscheduled, and one
warning lists them. Constants (weights, folded batch norms) are bound once, every intermediate
buffer is allocated once; a call copies the inputs in and the outputs out. Where a schedule
rewrote a weight's layout (RewriteLayout), its copy stage is taken out of the kernel and the
weight is converted once, here, with the recorded IndexMap (as the reference folds the layout
rewrite of constants at compile time); a kernel whose rewritten input is not a constant in every
place it runs keeps its copy stage.
"""

from __future__ import annotations

import warnings

import numpy as np

from .codegen.build import build
from .database.database import new_schedule
from .schedule import Schedule, ScheduleError
from .tir.layout_rewrite import split_layout_rewrite
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

    def __init__(self, lowered, kernels: list, how: dict, layouts: list | None = None):
        self.lowered = lowered
        self.how = how  # task name -> "tuned" / "anchor:<task>" / "unscheduled"
        self._env = {n: np.array(v, copy=True, order="C") for n, v in lowered.constants.items()}
        for name in lowered.inputs:
            self._env[name] = np.zeros(*lowered.values[name])
        self.weight_layouts = {}  # (kernel name, weight name) -> the IndexMap it was converted with
        self._steps = []
        layouts = layouts or [{}] * len(kernels)
        for fn, kernel, layout in zip(lowered.functions, kernels, layouts):
            for name in fn.outputs:
                self._env[name] = np.zeros(*lowered.values[name])
            if fn.torch_call is not None:
                self._steps.append((None, fn))
            else:
                self._steps.append((kernel, self._kernel_args(fn, layout)))

    def _kernel_args(self, fn, maps: dict) -> list:
        """The kernel's arrays; a weight whose layout the schedule rewrote, converted once."""
        names = fn.inputs + fn.outputs
        args = [self._env[n] for n in names]
        for i, imap in maps.items():
            key = f"{names[i]}@{imap.as_json()}"
            if key not in self._env:
                self._env[key] = np.ascontiguousarray(imap.apply_to_array(self._env[names[i]]))
            args[i] = self._env[key]
            self.weight_layouts[(fn.name, names[i])] = imap
        return args

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
    funcs, maps = {}, {}
    for k, (sch, _) in chosen.items():
        func = sch.mod["main"]
        split, layout = split_layout_rewrite(func)
        users = [fn for fn, key in zip(lowered.functions, keys) if key == k]
        if layout and all((fn.inputs + fn.outputs)[i] in lowered.constants for fn in users for i in layout):
            func, maps[k] = split, layout
        funcs[k] = func
    built = {k: build(func, target) for k, func in funcs.items()}
    how = {tasks[k].task_name: h for k, (_, h) in chosen.items()}
    return CompiledModel(lowered, [built.get(k) for k in keys], how, [maps.get(k, {}) for k in keys])
