"""Every instruction kind: how it replays (calling the Schedule method, which records it
again) and how it prints as Python. Input/attr layouts follow the reference system's, e.g.
Split: inputs [loop, *factors], attrs [preserve_unit_iters]."""

from __future__ import annotations

from ..tir.index_map import IndexMap
from .instruction import register


def _line(outs, call, as_list=False):
    if not outs:
        return f"_ = {call}" if as_list else call
    lhs = ", ".join(outs) + ("," if as_list and len(outs) == 1 else "")
    return f"{lhs} = {call}"


def _call(method, **kw):
    return f"sch.{method}(" + ", ".join(f"{k}={v}" for k, v in kw.items()) + ")"


def _list(items):
    return "[" + ", ".join(items) + "]"


def _one(x):
    return [x]


# ---------------------------------------------------------------- getters

register(
    "GetBlock",
    lambda sch, i, a, d: _one(sch.get_block(a[0], a[1])),
    lambda i, a, d, o: _line(o, _call("get_block", name=repr(a[0]), func_name=repr(a[1]))),
    pure=True,
)
register(
    "GetLoops",
    lambda sch, i, a, d: sch.get_loops(i[0]),
    lambda i, a, d, o: _line(o, _call("get_loops", block=i[0]), True),
    pure=True,
)
register(
    "GetChildBlocks",
    lambda sch, i, a, d: sch.get_child_blocks(i[0]),
    lambda i, a, d, o: _line(o, _call("get_child_blocks", block_or_loop=i[0]), True),
    pure=True,
)
register(
    "GetProducers",
    lambda sch, i, a, d: sch.get_producers(i[0]),
    lambda i, a, d, o: _line(o, _call("get_producers", block=i[0]), True),
    pure=True,
)
register(
    "GetConsumers",
    lambda sch, i, a, d: sch.get_consumers(i[0]),
    lambda i, a, d, o: _line(o, _call("get_consumers", block=i[0]), True),
    pure=True,
)

# ---------------------------------------------------------------- loop transformations

register(
    "Split",
    lambda sch, i, a, d: sch.split(i[0], i[1:], preserve_unit_iters=a[0]),
    lambda i, a, d, o: _line(o, _call("split", loop=i[0], factors=_list(i[1:]),
                                      preserve_unit_iters=repr(a[0])), True),
)
register(
    "Fuse",
    lambda sch, i, a, d: _one(sch.fuse(*i, preserve_unit_iters=a[0])),
    lambda i, a, d, o: _line(o, "sch.fuse(" + ", ".join(i) + f", preserve_unit_iters={a[0]!r})"),
)
register(
    "Reorder",
    lambda sch, i, a, d: sch.reorder(*i) or [],
    lambda i, a, d, o: "sch.reorder(" + ", ".join(i) + ")",
)
register(
    "AddUnitLoop",
    lambda sch, i, a, d: _one(sch.add_unit_loop(i[0])),
    lambda i, a, d, o: _line(o, _call("add_unit_loop", block_or_loop=i[0])),
)

# ---------------------------------------------------------------- loop kinds and annotations

for _name, _method in (("Parallel", "parallel"), ("Vectorize", "vectorize"), ("Unroll", "unroll")):
    register(
        _name,
        (lambda m: lambda sch, i, a, d: getattr(sch, m)(i[0]) or [])(_method),
        (lambda m: lambda i, a, d, o: _call(m, loop=i[0]))(_method),
    )
register(
    "Bind",
    lambda sch, i, a, d: sch.bind(i[0], a[0]) or [],
    lambda i, a, d, o: _call("bind", loop=i[0], thread_axis=repr(a[0])),
)
register(
    "Annotate",
    lambda sch, i, a, d: sch.annotate(i[0], a[0], i[1]) or [],
    lambda i, a, d, o: _call("annotate", block_or_loop=i[0], ann_key=repr(a[0]), ann_val=i[1]),
)
register(
    "Unannotate",
    lambda sch, i, a, d: sch.unannotate(i[0], a[0]) or [],
    lambda i, a, d, o: _call("unannotate", block_or_loop=i[0], ann_key=repr(a[0])),
)

# ---------------------------------------------------------------- block primitives

register(
    "ComputeAt",
    lambda sch, i, a, d: sch.compute_at(i[0], i[1], a[0], a[1]) or [],
    lambda i, a, d, o: _call("compute_at", block=i[0], loop=i[1], preserve_unit_loops=repr(a[0]),
                             index=repr(a[1])),
)
register(
    "ReverseComputeAt",
    lambda sch, i, a, d: sch.reverse_compute_at(i[0], i[1], a[0], a[1]) or [],
    lambda i, a, d, o: _call("reverse_compute_at", block=i[0], loop=i[1],
                             preserve_unit_loops=repr(a[0]), index=repr(a[1])),
)
register(
    "ComputeInline",
    lambda sch, i, a, d: sch.compute_inline(i[0]) or [],
    lambda i, a, d, o: _call("compute_inline", block=i[0]),
)
register(
    "ReverseComputeInline",
    lambda sch, i, a, d: sch.reverse_compute_inline(i[0]) or [],
    lambda i, a, d, o: _call("reverse_compute_inline", block=i[0]),
)
register(
    "CacheRead",
    lambda sch, i, a, d: _one(sch.cache_read(i[0], a[0], a[1], list(i[1:]) or None)),
    lambda i, a, d, o: _line(o, _call("cache_read", block=i[0], read_buffer_index=repr(a[0]),
                                      storage_scope=repr(a[1]),
                                      consumer_blocks=_list(i[1:]) if i[1:] else "None")),
)
register(
    "CacheWrite",
    lambda sch, i, a, d: _one(sch.cache_write(i[0], a[0], a[1], list(i[1:]) or None)),
    lambda i, a, d, o: _line(o, _call("cache_write", block=i[0], write_buffer_index=repr(a[0]),
                                      storage_scope=repr(a[1]),
                                      consumer_blocks=_list(i[1:]) if i[1:] else "None")),
)
register(
    "SetScope",
    lambda sch, i, a, d: sch.set_scope(i[0], a[0], a[1]) or [],
    lambda i, a, d, o: _call("set_scope", block=i[0], buffer_index=repr(a[0]),
                             storage_scope=repr(a[1])),
)
register(
    "RFactor",
    lambda sch, i, a, d: _one(sch.rfactor(i[0], a[0])),
    lambda i, a, d, o: _line(o, _call("rfactor", loop=i[0], factor_axis=repr(a[0]))),
)
register(
    "DecomposeReduction",
    lambda sch, i, a, d: _one(sch.decompose_reduction(i[0], i[1])),
    lambda i, a, d, o: _line(o, _call("decompose_reduction", block=i[0], loop=i[1])),
)
register(
    "ReIndex",
    lambda sch, i, a, d: _one(sch.reindex(i[0], (a[1], a[0]))),
    lambda i, a, d, o: _line(o, _call("reindex", block=i[0], buffer=repr((a[1], a[0])))),
)
register(
    "PadEinsum",
    lambda sch, i, a, d: sch.pad_einsum(i[0], a[0]) or [],
    lambda i, a, d, o: _call("pad_einsum", block=i[0], padding=repr(list(a[0]))),
)
register(
    "Tensorize",
    lambda sch, i, a, d: sch.tensorize(i[0], a[0], a[1]) or [],
    lambda i, a, d, o: _call("tensorize", block_or_loop=i[0], tensor_intrin=repr(a[0]),
                             preserve_unit_iters=repr(a[1])),
)
register(
    "StorageAlign",
    lambda sch, i, a, d: sch.storage_align(i[0], *a) or [],
    lambda i, a, d, o: _call("storage_align", block=i[0], buffer_index=repr(a[0]), axis=repr(a[1]),
                             factor=repr(a[2]), offset=repr(a[3])),
)

register(
    "TransformLayout",
    lambda sch, i, a, d: sch.transform_layout(i[0], (a[1], a[0]), IndexMap.from_json(a[2]),
                                              assume_injective_transform=a[3]) or [],
    lambda i, a, d, o: _call("transform_layout", block=i[0], buffer=repr((a[1], a[0])),
                             index_map=IndexMap.from_json(a[2]).as_python(), pad_value="None",
                             assume_injective_transform=repr(a[3])),
)

# ---------------------------------------------------------------- sampling

register(
    "SampleCategorical",
    lambda sch, i, a, d: _one(sch.sample_categorical(list(a[0]), list(a[1]), decision=d)),
    lambda i, a, d, o: _line(o, _call("sample_categorical", candidates=repr(list(a[0])),
                                      probs=repr(list(a[1])), decision=repr(d))),
    pure=True,
)
register(
    "SampleJointCategorical",
    lambda sch, i, a, d: sch.sample_joint_categorical([tuple(c) for c in a[0]], list(a[1]), decision=d),
    lambda i, a, d, o: _line(o, _call("sample_joint_categorical", candidates=repr([tuple(c) for c in a[0]]),
                                      probs=repr(list(a[1])), decision=repr(d)), True),
    pure=True,
)
register(
    "SamplePerfectTile",
    lambda sch, i, a, d: sch.sample_perfect_tile(i[0], a[0], a[1], decision=d),
    lambda i, a, d, o: _line(o, _call("sample_perfect_tile", loop=i[0], n=repr(a[0]),
                                      max_innermost_factor=repr(a[1]),
                                      decision=repr(list(d) if d is not None else None)), True),
    pure=True,
)
register(
    "SampleComputeLocation",
    lambda sch, i, a, d: _one(sch.sample_compute_location(i[0], decision=d)),
    lambda i, a, d, o: _line(o, _call("sample_compute_location", block=i[0], decision=repr(d))),
    pure=True,
)

# ---------------------------------------------------------------- postprocessing marker

register(
    "EnterPostproc",
    lambda sch, i, a, d: sch.enter_postproc() or [],
    lambda i, a, d, o: "sch.enter_postproc()",
    postproc=True,
)
