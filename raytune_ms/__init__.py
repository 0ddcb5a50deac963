"""raytune_ms: a Ray-native tensor-program auto-tuner with the API of MetaSchedule.

Heavy modules (ray, pyarrow, xgboost) load on first use: `import raytune_ms` stays fast.
"""

import importlib

_EXPORTS = {
    "tir": "raytune_ms.tir",
    "te": "raytune_ms.te",
    "topi": "raytune_ms.topi",
    "workloads": "raytune_ms.workloads",
    "schedule": "raytune_ms.schedule",
    "Schedule": "raytune_ms.schedule:Schedule",
    "Trace": "raytune_ms.schedule:Trace",
    "Target": "raytune_ms.target:Target",
    "build": "raytune_ms.codegen.build:build",
    "ArgInfo": "raytune_ms.arg_info:ArgInfo",
    "TensorInfo": "raytune_ms.arg_info:TensorInfo",
    "Database": "raytune_ms.database:Database",
    "Workload": "raytune_ms.database:Workload",
    "TuningRecord": "raytune_ms.database:TuningRecord",
    "Builder": "raytune_ms.builder:Builder",
    "Runner": "raytune_ms.runner:Runner",
    "CostModel": "raytune_ms.cost_model:CostModel",
    "FeatureExtractor": "raytune_ms.feature_extractor:FeatureExtractor",
    "SearchStrategy": "raytune_ms.search_strategy:SearchStrategy",
    "SpaceGenerator": "raytune_ms.space_generator:SpaceGenerator",
    "TaskScheduler": "raytune_ms.task_scheduler:TaskScheduler",
    "MeasureCallback": "raytune_ms.measure_callback:MeasureCallback",
    "MeasureCandidate": "raytune_ms.measure_candidate:MeasureCandidate",
    "TuneContext": "raytune_ms.tune_context:TuneContext",
    "Profiler": "raytune_ms.profiler:Profiler",
    "tune_tir": "raytune_ms.tune:tune_tir",
    "tune_tasks": "raytune_ms.tune:tune_tasks",
    "TuningInterrupted": "raytune_ms.stop_signal:TuningInterrupted",
    "compile_tir": "raytune_ms.tir_integration:compile_tir",
    "ExtractedTask": "raytune_ms.extracted_task:ExtractedTask",
    "extract_tasks": "raytune_ms.torch_integration:extract_tasks",
    "extracted_tasks_to_tune_contexts": "raytune_ms.torch_integration:extracted_tasks_to_tune_contexts",
    "tune_model": "raytune_ms.torch_integration:tune_model",
    "compile_model": "raytune_ms.compiled_model:compile_model",
    "CompiledModel": "raytune_ms.compiled_model:CompiledModel",
    "derived_object": "raytune_ms.utils:derived_object",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'raytune_ms' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = importlib.import_module(module)
    if attr:
        value = getattr(value, attr)
    globals()[name] = value
    return value
