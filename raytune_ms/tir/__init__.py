"""The tensor IR: expressions, statements, buffers, functions, JSON and structural hashing."""

from .buffer import Buffer, decl_buffer
from .dtype import DTypeError, bytes_of, check_dtype
from .expr import (
    EQ,
    GE,
    GT,
    LE,
    LT,
    NE,
    Add,
    And,
    BinaryOp,
    BufferLoad,
    Call,
    Cast,
    CmpOp,
    Div,
    FloatImm,
    FloorDiv,
    FloorMod,
    IntImm,
    IterVar,
    Max,
    Min,
    Mul,
    Not,
    Or,
    PrimExpr,
    Range,
    Select,
    StringImm,
    Sub,
    Var,
    add,
    all_of,
    any_of,
    call,
    cast,
    const,
    convert,
    div,
    eq,
    floordiv,
    floormod,
    logical_and,
    logical_not,
    logical_or,
    max_expr,
    max_value,
    min_expr,
    min_value,
    mul,
    ne,
    select,
    sub,
)
from .flop_estimate import estimate_flops
from .function import IRModule, PrimFunc
from .functor import collect, collect_each, post_order_visit, pre_order_visit, substitute, transform
from .index_map import IndexMap, IndexMapError
from .node import Node
from .printer import script
from .serialize import from_json, to_json
from .stmt import (
    Block,
    BlockRealize,
    BufferRegion,
    BufferStore,
    Evaluate,
    For,
    IfThenElse,
    SeqStmt,
    Stmt,
    seq,
)
from .structural import assert_structural_equal, structural_equal, structural_hash
