"""PrimFunc (a kernel over buffer parameters) and IRModule (named PrimFuncs)."""

from __future__ import annotations

from .node import Node


class PrimFunc(Node):
    """A tensor program: parameter buffers and a body whose root is a BlockRealize of the
    "root" block (which allocates the intermediate buffers)."""

    __slots__ = ("params", "body", "attrs")
    _fields = ("params", "body", "attrs")

    def __init__(self, params, body, attrs=()):
        self.params = tuple(params)
        self.body = body
        items = attrs.items() if isinstance(attrs, dict) else attrs
        self.attrs = tuple(sorted((str(k), v) for k, v in items))

    @property
    def name(self) -> str:
        return dict(self.attrs).get("global_symbol", "main")

    def with_attr(self, key, value) -> PrimFunc:
        attrs = dict(self.attrs)
        attrs[key] = value
        return PrimFunc(self.params, self.body, attrs)

    def with_body(self, body) -> PrimFunc:
        return self.with_field("body", body)


class IRModule(Node):
    __slots__ = ("functions",)
    _fields = ("functions",)

    def __init__(self, functions):
        if isinstance(functions, PrimFunc):
            functions = {functions.name: functions}
        items = functions.items() if isinstance(functions, dict) else functions
        self.functions = tuple(sorted((str(k), v) for k, v in items))

    def __getitem__(self, name) -> PrimFunc:
        for k, v in self.functions:
            if k == name:
                return v
        raise KeyError(f"IRModule has no function {name!r}; it has {[k for k, _ in self.functions]}")

    def __contains__(self, name):
        return any(k == name for k, _ in self.functions)

    def get_global_vars(self):
        return [k for k, _ in self.functions]

    def with_function(self, name, func) -> IRModule:
        d = dict(self.functions)
        d[name] = func
        return IRModule(d)

    def entry_func(self) -> PrimFunc:
        """The function a build, a measurement or a workload key stands for: the only one, or
        the one named "main"."""
        if len(self.functions) == 1:
            return self.functions[0][1]
        if "main" in self:
            return self["main"]
        raise ValueError(f"cannot choose an entry function: the module has {self.get_global_vars()} and no 'main'")

    @staticmethod
    def from_any(obj) -> IRModule:
        """Accept an IRModule or a PrimFunc (wrapped under the name "main", the workload key)."""
        if isinstance(obj, IRModule):
            return obj
        if isinstance(obj, PrimFunc):
            return IRModule({"main": obj})
        raise TypeError(f"expected an IRModule or PrimFunc, got {type(obj).__name__}")
