"""PyTorch models as tuning tasks: capture with torch.export, lower to the operator library
with element-wise and layout consumers fused into their anchor operator (conv + bias + batch
norm + relu is one kernel), merge structurally equal kernels into one weighted task; tune them
(`tune_model`) and run the model on the tuned kernels (`compile_model`).
"""

from __future__ import annotations

from . import tir
from .extracted_task import ExtractedTask
from .target import Target

MODULE_EQUALITIES = ("structural", "ignore-tensor")


def task_key(func: tir.PrimFunc) -> str:
    """Structural hash of the kernel, its symbol name aside (the node name)."""
    return tir.structural_hash(func.with_attr("global_symbol", "main"))


def as_target(target) -> Target:
    return target if isinstance(target, Target) else Target(target)


def _check_equality(module_equality):
    if module_equality not in MODULE_EQUALITIES:
        raise ValueError(
            f"extract_tasks: module_equality {module_equality!r} is not supported; use one of {MODULE_EQUALITIES}"
        )


def tasks_of_lowered(lowered, target) -> tuple:
    """(tasks, keys): the lowered model's kernels merged into ExtractedTasks, in order of first
    use, and each function's task key. A task is named after its fused ops (conv2d_bias_relu),
    with a suffix where different shapes share a name."""
    tasks, keys, taken = {}, [], set()
    for fn in lowered.functions:
        key = task_key(fn.func)
        keys.append(key)
        if key in tasks:
            tasks[key].weight += 1
            continue
        base = fn.label or fn.name
        name, k = base, 1
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        mod = tir.IRModule({"main": fn.func.with_attr("global_symbol", "main")})
        tasks[key] = ExtractedTask(name, mod, target, [mod], 1)
    return tasks, keys


def extract_tasks(model, example_inputs, target, module_equality: str = "structural",
                  decompose: bool = False, fuse: bool = True) -> list:
    """The model's kernels at the example inputs' shapes as ExtractedTasks, in order of first use;
    `weight` counts the kernels each task stands for.

    fuse: element-wise and layout consumers join their producer's kernel (off: one kernel per
    aten node). module_equality "structural" (or "ignore-tensor": the same here, parameters are
    buffers, never embedded in kernels) merges kernels equal up to buffer names."""
    from .torch_frontend import lower_module

    _check_equality(module_equality)
    lowered = lower_module(model, example_inputs, decompose=decompose, fuse=fuse)
    return list(tasks_of_lowered(lowered, as_target(target))[0].values())
