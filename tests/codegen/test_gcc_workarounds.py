"""The Target's gcc flags must keep gcc 12's -O3 vectoriser from miscompiling guarded loads
(a padding loop whose select reads the input only inside the bounds)."""

import pathlib
import subprocess

from raytune_ms.target import Target

REPRO = pathlib.Path(__file__).parent / "data" / "gcc_if_convert_repro.c"


def test_guarded_padding_loop_is_compiled_correctly(tmp_path):
    flags = [f for f in Target("llvm").cflags() if f not in ("-shared", "-fPIC")]
    exe = tmp_path / "repro"
    subprocess.run(["gcc", *flags, str(REPRO), "-o", str(exe), "-lm"], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "bad=0"
