import json

import pytest

from raytune_ms import te, tir
from raytune_ms.arg_info import ArgInfo, TensorInfo


def _func():
    a = te.placeholder((4, 6), dtype="float16", name="A")
    b = te.compute((4, 6), lambda i, j: a[i, j] + a[i, j], name="B")
    return te.create_prim_func([a, b])


def test_from_prim_func_lists_params_in_order():
    assert ArgInfo.from_prim_func(_func()) == [TensorInfo("float16", (4, 6)), TensorInfo("float16", [4, 6])]


def test_json_round_trip_through_text():
    infos = ArgInfo.from_prim_func(_func())
    text = json.dumps([i.as_json() for i in infos])
    assert json.loads(text)[0] == ["TENSOR", "float16", [4, 6]]
    assert [ArgInfo.from_json(o) for o in json.loads(text)] == infos


def test_from_entry_func_picks_only_or_main_function():
    func = _func()
    expected = ArgInfo.from_prim_func(func)
    assert ArgInfo.from_entry_func(func) == expected
    assert ArgInfo.from_entry_func(tir.IRModule({"kernel": func})) == expected
    x = te.placeholder((2,), name="X")
    other = te.create_prim_func([x, te.compute((2,), lambda i: x[i], name="Y")])
    assert ArgInfo.from_entry_func(tir.IRModule({"main": func, "aux": other})) == expected
    with pytest.raises(ValueError, match="no 'main'"):
        ArgInfo.from_entry_func(tir.IRModule({"a": func, "b": other}))


def test_bad_json_and_dtype_are_named():
    with pytest.raises(ValueError, match="unknown argument info kind 'SCALAR'"):
        ArgInfo.from_json(["SCALAR", "int32"])
    with pytest.raises(ValueError, match="TENSOR"):
        TensorInfo.from_json(["TENSOR", "float32"])
    with pytest.raises(tir.DTypeError, match="float7"):
        TensorInfo("float7", (1,))


def test_tensor_info_is_hashable_value():
    assert len({TensorInfo("int8", (2, 3)), TensorInfo("int8", [2, 3])}) == 1
    assert repr(TensorInfo("int8", (2, 3))) == "TensorInfo('int8', [2, 3])"
