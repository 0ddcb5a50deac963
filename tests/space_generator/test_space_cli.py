"""`raytune-ms space`: each design space printed as Python that replays to the same program,
with its number of sampling decisions; clear one-line errors (exit 2) for what cannot be had."""

import importlib.util
import json
import textwrap

import pytest

import raytune_ms as ms
from raytune_ms import tir, workloads
from raytune_ms.cli import main
from raytune_ms.space_generator.cli import design_spaces

USER_PROGRAM = textwrap.dedent('''
    from raytune_ms import te

    def matmul_relu():
        A = te.placeholder((32, 24), name="A")
        B = te.placeholder((24, 16), name="B")
        k = te.reduce_axis(24, "k")
        C = te.compute((32, 16), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
        D = te.compute((32, 16), lambda i, j: te.max(C[i, j], 0.0), name="D")
        return te.create_prim_func([A, B, D])

    def not_a_program():
        return 42
''')


def _spaces_from_text(text):
    """[(number of decisions, Python lines)] of each printed design space."""
    out = []
    for chunk in text.split("\n# design space ")[1:]:
        header, *lines = chunk.strip().splitlines()
        out.append((int(header.split(": ")[1].split()[0]), lines))
    return out


def _replay_python(lines, func):
    sch = ms.Schedule(func, seed=0)
    exec("\n".join(lines), {"sch": sch})
    return sch


def test_prints_replayable_spaces(capsys):
    assert main(["space", "--workload", "GMM", "--size", "small", "--space", "matmul", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    printed = _spaces_from_text(text)
    func = workloads.get("GMM", "small").func
    generated = design_spaces(func, "matmul", "GMM", "llvm", 3)
    assert text.startswith("# GMM: 4 design space(s) from 'matmul'") and len(printed) == len(generated) == 4
    for (decisions, lines), sch in zip(printed, generated):
        assert decisions == 3  # nr, the k unroll and mr
        assert tir.structural_hash(_replay_python(lines, func).mod) == tir.structural_hash(sch.mod)


def test_prints_replayable_tensorcore_spaces(capsys):
    """The fp16 C2D's tensor-core space (reindex, transform_layout, pad_einsum before the
    tiling) prints as Python that replays to the same program."""
    assert main(["space", "--workload", "C2D", "--size", "small", "--dtype", "float16", "--target", "cuda",
                 "--space", "cuda-tensorcore", "--seed", "3"]) == 0
    printed = _spaces_from_text(capsys.readouterr().out)
    func = workloads.get("C2D", "small", "float16").func
    (generated,) = design_spaces(func, "cuda-tensorcore", "C2D", "cuda", 3)
    ((_, lines),) = printed
    text = "\n".join(lines)
    assert "sch.reindex(" in text and "sch.transform_layout(" in text and "sch.pad_einsum(" in text
    assert tir.structural_hash(_replay_python(lines, func).mod) == tir.structural_hash(generated.mod)


def test_json_and_a_user_module(tmp_path, capsys):
    path = tmp_path / "my_ops.py"
    path.write_text(USER_PROGRAM)
    assert main(["space", "--module", f"{path}:matmul_relu", "--space", "matmul", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and [r["space"] for r in rows] == list(range(len(rows)))
    spec = importlib.util.spec_from_file_location("my_ops", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for row in rows:
        trace = ms.Trace.from_json(row["trace"])
        assert row["program"] == "matmul_relu" and row["num_decisions"] == len(trace.decisions) > 0
        trace.apply_to_schedule(ms.Schedule(module.matmul_relu()))


@pytest.mark.parametrize("args,words", [
    (["--workload", "NOPE"], "unknown workload 'NOPE'"),
    (["--module", "/nonexistent/ops.py:f"], "no file"),
    (["--module", "{path}:missing"], "has no function 'missing'"),
    (["--module", "{path}:not_a_program"], "returned a int, not a PrimFunc"),
    (["--module", "{path}"], "FILE.py:FUNC"),
])
def test_errors_are_one_line_and_exit_2(tmp_path, capsys, args, words):
    path = tmp_path / "my_ops.py"
    path.write_text(USER_PROGRAM)
    assert main(["space", *[a.format(path=path) for a in args]]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err


def test_default_space_is_post_order_apply(capsys):
    code = main(["space", "--workload", "GEMV", "--size", "small"])
    if importlib.util.find_spec("raytune_ms.space_generator.post_order_apply") is None:
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1 and "space generator kind 'post-order-apply'" in err
    else:
        assert code == 0 and "from 'post-order-apply'" in capsys.readouterr().out
