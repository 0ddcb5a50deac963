"""Annotations on blocks and loops: free-form key/value hints that later passes read
(e.g. "pragma_auto_unroll_max_step", "meta_schedule.parallel"). Values must be JSON-like
(str, int, float, bool, None, or lists of those) so traces and records serialise them."""

from __future__ import annotations

from ..error import ScheduleError
from ..tree import block_path, loop_path, replace_in_func


def _freeze(value, where):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v, where) for v in value)
    if hasattr(value, "value") and isinstance(value.value, (int, float, str)):
        return value.value  # IntImm / FloatImm / StringImm
    raise ScheduleError(
        f"annotation on {where}: unsupported value {value!r} of type {type(value).__name__}")


def _target(func, target):
    if isinstance(target, str):
        path = block_path(func, target)
        return path, path[-1].block, f"block {target!r}"
    path = loop_path(func, target)
    return path, path[-1], f"loop {target.name!r}"


def _rebuild(path, node, annotations):
    new = node.replace(annotations=annotations)
    stmt = path[-1].replace(block=new) if node is not path[-1] else new
    return stmt


def annotate(func, target, key, value):
    """Set annotation `key` on a block (name) or loop (Var)."""
    path, node, where = _target(func, target)
    if not isinstance(key, str) or not key:
        raise ScheduleError(f"annotation key on {where} must be a non-empty string, got {key!r}")
    anns = dict(node.annotations)
    anns[key] = _freeze(value, where)
    return replace_in_func(func, path, _rebuild(path, node, anns))


def unannotate(func, target, key):
    """Remove annotation `key` from a block (name) or loop (Var)."""
    path, node, where = _target(func, target)
    anns = dict(node.annotations)
    if key not in anns:
        raise ScheduleError(f"{where} has no annotation {key!r} (it has {sorted(anns)})")
    del anns[key]
    return replace_in_func(func, path, _rebuild(path, node, anns))
