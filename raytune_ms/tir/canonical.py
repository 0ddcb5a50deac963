"""The canonical text behind the structural hash, written in one walk.

It is exactly `json.dumps(to_json_obj(node, keep_names=False), separators=(",", ":"),
sort_keys=True)` — the databases key programs by its hash, so not one byte may change — but
written straight to text instead of building the JSON object first and sorting its keys: the
search hashes every candidate it generates, and this halves that cost.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring_ascii as _quote

from .buffer import Buffer
from .expr import Var
from .functor import field_values
from .node import Node
from .serialize import FORMAT

_COMPACT = {"separators": (",", ":"), "sort_keys": True}


def canonical_text(node) -> str:
    """`node`'s canonical JSON text (names blanked, keys sorted)."""
    out: list = []
    put = out.append
    var_ids: dict = {}
    buffer_ids: dict = {}
    var_rows: list = []
    buffer_rows: list = []
    type_heads: dict = {}  # node class -> '{"f":[' ... '],"t":"Name"}' pieces

    def write(value):
        t = type(value)
        if t is int:
            put(int.__repr__(value))
        elif t is str:
            put(_quote(value))
        elif t is tuple or t is list:
            put("[")
            first = True
            for v in value:
                if not first:
                    put(",")
                first = False
                write(v)
            put("]")
        elif t is Var or (t is not Buffer and isinstance(value, Var)):
            i = var_ids.get(id(value))
            if i is None:
                i = var_ids[id(value)] = len(var_rows)
                var_rows.append('["",' + _quote(value.dtype) + "]")
            put(f'{{"v":{i}}}')
        elif t is Buffer or isinstance(value, Buffer):
            i = buffer_ids.get(id(value))
            if i is None:
                i = buffer_ids[id(value)] = len(buffer_rows)
                buffer_rows.append(json.dumps(["", list(value.shape), value.dtype, value.scope,
                                               list(value.strides)], **_COMPACT))
            put(f'{{"b":{i}}}')
        elif isinstance(value, Node):
            tail = type_heads.get(t)
            if tail is None:
                tail = type_heads[t] = '],"t":' + _quote(t.__name__) + "}"
            put('{"f":[')
            first = True
            for v in field_values(value):
                if not first:
                    put(",")
                first = False
                write(v)
            put(tail)
        elif isinstance(value, (tuple, list)):
            write(list(value))
        elif value is None:
            put("null")
        elif value is True:
            put("true")
        elif value is False:
            put("false")
        elif isinstance(value, float):
            put(float.__repr__(value) if math.isfinite(value) else '{"float":' + _quote(repr(value)) + "}")
        elif isinstance(value, (int, str)):
            put(json.dumps(value))
        else:
            raise TypeError(f"cannot serialise {type(value).__name__} {value!r} in the IR")

    try:
        write(node)
    finally:  # `write` refers to itself through its cell: emptying the cell frees it, and `out`,
        write = None  # now rather than at the next cyclic collection (the search pauses those)
    root = "".join(out)
    return ('{"buffers":[' + ",".join(buffer_rows) + '],"format":' + _quote(FORMAT) + ',"root":' + root
            + ',"vars":[' + ",".join(var_rows) + "]}")
