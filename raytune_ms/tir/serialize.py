"""The lossless JSON form of IR nodes.

A node is {"t": type name, "f": [fields]}; Vars and Buffers are defined once in side tables
("vars", "buffers") and referenced as {"v": i} / {"b": i}, because their identity is their
meaning. Non-finite floats are {"float": "inf"}. The same walk, with names blanked, gives the
canonical form behind the structural hash.
"""

from __future__ import annotations

import json
import math

from . import buffer as _buffer
from . import expr as _expr
from . import function as _function
from . import stmt as _stmt
from .buffer import Buffer
from .expr import Var
from .functor import field_values
from .node import Node

FORMAT = "raytune_ms.tir/1"

NODE_TYPES = {
    cls.__name__: cls
    for mod in (_expr, _stmt, _function, _buffer)
    for cls in vars(mod).values()
    if isinstance(cls, type) and issubclass(cls, Node) and cls._fields and cls not in (Var, Buffer)
}

#: node classes encoded as {"t", "f"} (Var and Buffer go to the side tables)
NODE_CLASSES = frozenset(NODE_TYPES.values())
_PLAIN = frozenset((int, str, bool, type(None)))


class Encoder:
    def __init__(self, keep_names: bool = True):
        self.keep_names = keep_names
        self.vars, self.var_ids = [], {}
        self.buffers, self.buffer_ids = [], {}

    def var(self, v: Var):
        i = self.var_ids.get(id(v))
        if i is None:
            i = self.var_ids[id(v)] = len(self.vars)
            self.vars.append([v.name if self.keep_names else "", v.dtype])
        return {"v": i}

    def buffer(self, b: Buffer):
        i = self.buffer_ids.get(id(b))
        if i is None:
            i = self.buffer_ids[id(b)] = len(self.buffers)
            self.buffers.append(
                [b.name if self.keep_names else "", list(b.shape), b.dtype, b.scope, list(b.strides)]
            )
        return {"b": i}

    def encode(self, value):
        t = type(value)
        if t in _PLAIN:  # the common leaves first (same result as the general walk below)
            return value
        if t is Var:
            return self.var(value)
        if t is tuple:
            return [self.encode(v) for v in value]
        if t in NODE_CLASSES:
            return {"t": t.__name__, "f": [self.encode(v) for v in field_values(value)]}
        if isinstance(value, Var):
            return self.var(value)
        if isinstance(value, Buffer):
            return self.buffer(value)
        if isinstance(value, Node):
            return {"t": type(value).__name__, "f": [self.encode(getattr(value, f)) for f in value._fields]}
        if isinstance(value, (tuple, list)):
            return [self.encode(v) for v in value]
        if isinstance(value, float) and not math.isfinite(value):
            return {"float": repr(value)}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"cannot serialise {type(value).__name__} {value!r} in the IR")


def to_json_obj(node, keep_names: bool = True) -> dict:
    enc = Encoder(keep_names)
    root = enc.encode(node)
    return {"format": FORMAT, "vars": enc.vars, "buffers": enc.buffers, "root": root}


def to_json(node) -> str:
    """The node as a JSON string that `from_json` turns back into an equal node."""
    return json.dumps(to_json_obj(node), separators=(",", ":"))


def from_json(data) -> Node:
    obj = json.loads(data) if isinstance(data, (str, bytes)) else data
    if obj.get("format") != FORMAT:
        raise ValueError(f"not a raytune_ms IR document (format {obj.get('format')!r}, expected {FORMAT!r})")
    var_table = [Var(name, dtype) for name, dtype in obj["vars"]]
    buffer_table = [Buffer(n, s, d, sc, st) for n, s, d, sc, st in obj["buffers"]]

    def decode(value):
        if isinstance(value, dict):
            if "v" in value:
                return var_table[value["v"]]
            if "b" in value:
                return buffer_table[value["b"]]
            if "float" in value:
                return float(value["float"])
            cls = NODE_TYPES.get(value["t"])
            if cls is None:
                raise ValueError(f"unknown IR node type {value['t']!r} in JSON")
            return cls(*[decode(f) for f in value["f"]])
        if isinstance(value, list):
            return tuple(decode(v) for v in value)
        return value

    return decode(obj["root"])
