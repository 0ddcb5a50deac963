"""A compiled model's tasks one by one, each with its kernel, the arguments it runs on inside the
model, and its PyTorch counterpart, so that each can be timed against PyTorch (the model bench,
the transformer notebook).

The counterpart of a task is its anchor aten op (the conv, linear, matmul, norm or softmax the
kernel is built around) called by PyTorch on the same input values; the element-wise ops fused
into our kernel are not in it, so its time is a lower bound of what eager PyTorch spends there.
Tasks without a reduction anchor (pooling, pure layout kernels) have none.
"""

from __future__ import annotations

from dataclasses import dataclass

from .torch_integration import as_target, tasks_of_lowered
from .trace_apply import anchor_key


@dataclass
class TaskKernel:
    """One task of a compiled model: `kernel(*args)` runs it on the buffers the model holds
    (valid after one call of the model); `torch_call(env)` runs its anchor op in PyTorch on
    them (None if it has none)."""

    task_name: str
    weight: int
    how: str  # "tuned", "anchor:<task>" or "unscheduled", as CompiledModel.how says
    ops: list  # the aten ops in the kernel, anchor first
    kernel: object
    args: list
    torch_call: object
    env: dict


def _anchor_calls(model, example_inputs, lowered, held) -> dict:
    """function name -> TorchCall of its anchor aten node, or None (no anchor, or it reads a
    value that exists only inside a fused kernel)."""
    from .torch_frontend.capture import capture
    from .torch_frontend.lower import _Lowerer

    captured = capture(model, example_inputs)
    nodes = {n.name: n for n in captured.program.graph.nodes}
    lowerer = _Lowerer(captured)  # unfused, no aliases: its calls name the graph's values as they are
    out = {}
    for fn in lowered.functions:
        node = nodes.get(fn.name)
        ok = fn.func is not None and node is not None and anchor_key(fn.func) is not None
        out[fn.name] = lowerer.torch_call(node) if ok and set(lowerer.tensor_args(node)) <= held else None
    return out


def task_kernels(compiled, model, example_inputs, target) -> list:
    """The compiled model's tasks in order of first use, one TaskKernel each (a task that runs
    several times is listed once, with its weight). Calls the model once to fill its buffers."""
    compiled(*example_inputs)
    env = compiled._env
    tasks, keys = tasks_of_lowered(compiled.lowered, as_target(target))
    calls = _anchor_calls(model, example_inputs, compiled.lowered, set(env))
    out, seen = [], set()
    for fn, key, (kernel, args) in zip(compiled.lowered.functions, keys, compiled._steps):
        if key is None or key in seen:
            continue
        seen.add(key)
        task = tasks[key]
        out.append(TaskKernel(task.task_name, task.weight, compiled.how[task.task_name], fn.ops, kernel, args,
                              calls[fn.name], env))
    return out
