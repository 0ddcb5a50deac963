"""PyTorch models as tuning tasks: capture with torch.export, lower each aten node to the
operator library, merge structurally equal kernels into one weighted task.

No fusion yet: every node is its own task (a linear layer's bias add is inside its kernel, a
separate relu is its own task).
"""

from __future__ import annotations

from . import tir
from .extracted_task import ExtractedTask
from .target import Target

MODULE_EQUALITIES = ("structural", "ignore-tensor")


def _key(func: tir.PrimFunc) -> str:
    """Structural hash of the kernel, its symbol name aside (the node name)."""
    return tir.structural_hash(func.with_attr("global_symbol", "main"))


def extract_tasks(model, example_inputs, target, module_equality: str = "structural",
                  decompose: bool = False) -> list:
    """The model's kernels at the example inputs' shapes as ExtractedTasks, in order of first use.

    module_equality "structural" (or "ignore-tensor": the same here, parameters are buffers,
    never embedded in kernels) merges kernels equal up to buffer names; a task is named after its
    first node."""
    from .torch_frontend import lower_module

    if module_equality not in MODULE_EQUALITIES:
        raise ValueError(
            f"extract_tasks: module_equality {module_equality!r} is not supported; use one of {MODULE_EQUALITIES}"
        )
    target = Target(target) if not isinstance(target, Target) else target
    lowered = lower_module(model, example_inputs, decompose=decompose)
    tasks: dict = {}
    for fn in lowered.functions:
        key = _key(fn.func)
        if key in tasks:
            tasks[key].weight += 1
            continue
        mod = tir.IRModule({"main": fn.func.with_attr("global_symbol", "main")})
        tasks[key] = ExtractedTask(fn.name, mod, target, [mod], 1)
    return list(tasks.values())
