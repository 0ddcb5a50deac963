"""Lowering and C code generation for CPU targets."""

from .build import build, build_artifact, params_of
from .c import codegen_c, entry_symbol
from .c_expr import CodegenError
from .lower import LoweringError, lower
