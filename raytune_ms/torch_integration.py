"""PyTorch models as tuning tasks: capture with torch.export, lower to the operator library
with element-wise and layout consumers fused into their anchor operator (conv + bias + batch
norm + relu is one kernel), merge structurally equal kernels into one weighted task; tune them
(`tune_model`) and run the model on the tuned kernels (`compile_model`).
"""

from __future__ import annotations

import warnings

from . import tir
from .extracted_task import ExtractedTask
from .target import Target
from .trace_apply import anchor_key

MODULE_EQUALITIES = ("structural", "ignore-tensor", "anchor-block")


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


def tasks_of_lowered(lowered, target, module_equality: str = "structural") -> tuple:
    """(tasks, keys): the lowered model's kernels merged into ExtractedTasks, in order of first
    use, and each function's task key. A task is named after its fused ops (conv2d_bias_relu),
    with a suffix where different shapes share a name. "anchor-block" merges kernels whose
    anchor blocks are structurally equal (the first one stands for them; `dispatched` lists
    every distinct kernel)."""
    tasks, keys, taken = {}, [], set()
    for fn in lowered.functions:
        if fn.func is None:  # run through PyTorch (fallback="torch"): no task
            keys.append(None)
            continue
        key = task_key(fn.func)
        if module_equality == "anchor-block":
            key = anchor_key(fn.func) or key
        keys.append(key)
        if key in tasks:
            tasks[key].weight += 1
            mod = tir.IRModule({"main": fn.func.with_attr("global_symbol", "main")})
            if all(not tir.structural_equal(mod, d) for d in tasks[key].dispatched):
                tasks[key].dispatched.append(mod)
            continue
        base = fn.label or fn.name
        name, k = base, 1
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        mod = tir.IRModule({"main": fn.func.with_attr("global_symbol", "main")})
        tasks[key] = ExtractedTask(name, mod, target, [mod], 1)
    return tasks, keys


def torch_fallbacks(lowered) -> list:
    """'op (node) at source' of each node the lowered model runs through PyTorch."""
    return [f"{fn.op} ({fn.name})" + (f" at {fn.source}" if fn.source else "")
            for fn in lowered.functions if fn.torch_call is not None]


def extract_tasks(model, example_inputs, target, module_equality: str = "structural",
                  decompose: bool = False, fuse: bool = True, fallback: str | None = None) -> list:
    """The model's kernels at the example inputs' shapes as ExtractedTasks, in order of first use;
    `weight` counts the kernels each task stands for.

    fuse: element-wise and layout consumers join their producer's kernel (off: one kernel per
    aten node). fallback="torch": nodes with no converter run through PyTorch (listed in a
    warning, no task) instead of raising UnsupportedOperatorError. module_equality
    "structural" (or "ignore-tensor": the same here, parameters are buffers, never embedded in
    kernels) merges kernels equal up to buffer names; "anchor-block"
    merges kernels whose anchor block (first reduction block) is structurally equal: a conv's
    fused variants become one task, and compile_model serves the others with its trace."""
    from .torch_frontend import lower_module

    _check_equality(module_equality)
    lowered = lower_module(model, example_inputs, decompose=decompose, fuse=fuse, fallback=fallback)
    fallbacks = torch_fallbacks(lowered)
    if fallbacks:
        warnings.warn(f"extract_tasks: {len(fallbacks)} node(s) have no converter and run through PyTorch: "
                      + "; ".join(fallbacks), stacklevel=2)
    return list(tasks_of_lowered(lowered, as_target(target), module_equality)[0].values())


def extracted_tasks_to_tune_contexts(extracted_tasks, work_dir: str, space="post-order-apply",
                                     strategy="replay-trace", num_threads="physical",
                                     seed: int | None = None) -> tuple:
    """(contexts, weights): one TuneContext per task, named after it, with its weight.
    `work_dir` is where the run keeps its logs (the contexts get their loggers from run_tuning)."""
    from .tune import _fresh
    from .tune_context import TuneContext

    n = len(extracted_tasks)
    contexts = [
        TuneContext(t.mod, target=t.target, space_generator=_fresh(space, n), search_strategy=_fresh(strategy, n),
                    task_name=t.task_name, rand_state=-1 if seed is None else seed, num_threads=num_threads)
        for t in extracted_tasks
    ]
    return contexts, [float(t.weight) for t in extracted_tasks]


def run_model_tuning(model, example_inputs, target, work_dir: str, max_trials_global: int, *,
                     max_trials_per_task: int | None = None, op_names: list | None = None,
                     num_trials_per_iter: int = 64, builder="ray", runner="ray", database="parquet",
                     cost_model="random", measure_callbacks="default", task_scheduler="gradient",
                     space="post-order-apply", strategy="replay-trace", seed: int | None = None,
                     module_equality: str = "structural", progress_callback=None):
    """tune_model's run, returning its TuneResult (per-task statistics, the database)."""
    from .tune import run_tuning

    tasks = extract_tasks(model, example_inputs, target, module_equality=module_equality)
    if op_names is not None:
        tasks = [t for t in tasks if any(op in t.task_name for op in op_names)]
        if not tasks:
            raise ValueError(f"tune_model: no task name contains any of {list(op_names)}")
    contexts, weights = extracted_tasks_to_tune_contexts(tasks, work_dir, space, strategy, seed=seed)
    return run_tuning(
        tasks=contexts, task_weights=weights, work_dir=work_dir, max_trials_global=max_trials_global,
        max_trials_per_task=max_trials_per_task, num_trials_per_iter=num_trials_per_iter, builder=builder,
        runner=runner, database=database, cost_model=cost_model, measure_callbacks=measure_callbacks,
        task_scheduler=task_scheduler, progress_callback=progress_callback,
        # records stay keyed by the whole kernel; anchor-block merging happened in extract_tasks
        module_equality="structural" if module_equality == "anchor-block" else module_equality,
    )


def tune_model(model, example_inputs, target, work_dir: str, max_trials_global: int, *,
               max_trials_per_task: int | None = None, op_names: list | None = None,
               num_trials_per_iter: int = 64, builder="ray", runner="ray", database="parquet",
               cost_model="random", measure_callbacks="default", task_scheduler="gradient",
               space="post-order-apply", strategy="replay-trace", seed: int | None = None,
               module_equality: str = "structural"):
    """Tune a PyTorch model's tasks (extract_tasks), weighted by how often each runs, and return
    the database; `op_names` keeps only the tasks whose name contains one of them. Run the model
    on the result with `compile_model(database, model, example_inputs, target)`."""
    return run_model_tuning(
        model, example_inputs, target, work_dir, max_trials_global, max_trials_per_task=max_trials_per_task,
        op_names=op_names, num_trials_per_iter=num_trials_per_iter, builder=builder, runner=runner,
        database=database, cost_model=cost_model, measure_callbacks=measure_callbacks,
        task_scheduler=task_scheduler, space=space, strategy=strategy, seed=seed, module_equality=module_equality,
    ).database
