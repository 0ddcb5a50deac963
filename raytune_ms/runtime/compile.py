"""Compile generated C to a shared object with the system compiler and the target's flags."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

COMPILE_TIMEOUT_S = 300


class BuildError(RuntimeError):
    """The C compiler rejected generated code (the message shows the offending lines)."""


def compiler() -> str:
    for name in (os.environ.get("CC"), "gcc", "cc"):
        if name and shutil.which(name):
            return name
    raise BuildError("no C compiler found (looked for $CC, gcc, cc)")


_DIAG = re.compile(r"^[^:\n]*\.c:(\d+):(?:\d+:)?\s*(error|fatal error|warning|note):", re.MULTILINE)


def _excerpt(source: str, stderr: str, context: int = 2, max_lines: int = 6) -> str:
    """The generated lines gcc's errors point at, numbered, with a little context."""
    src = source.splitlines()
    wanted = []
    for m in _DIAG.finditer(stderr):
        if m.group(2) in ("error", "fatal error"):
            n = int(m.group(1))
            if n not in wanted:
                wanted.append(n)
    out = []
    for n in wanted[:max_lines]:
        lo, hi = max(1, n - context), min(len(src), n + context)
        for k in range(lo, hi + 1):
            mark = ">>" if k == n else "  "
            out.append(f"{mark} {k:5d} | {src[k - 1]}")
        out.append("   ...")
    return "\n".join(out)


def compile_c(source: str, target, symbol: str = "main", timeout: float = COMPILE_TIMEOUT_S) -> bytes:
    """The bytes of a shared object built from `source` for `target` (flags: target.cflags()).

    Raises BuildError naming `symbol` (the function being built) with gcc's first errors and
    the generated lines they point at."""
    from ..target import Target

    target = Target(target) if not isinstance(target, Target) else target
    cc = compiler()
    with tempfile.TemporaryDirectory(prefix="rtms_build_") as tmp:
        src, out = os.path.join(tmp, "kernel.c"), os.path.join(tmp, "kernel.so")
        with open(src, "w") as f:
            f.write(source)
        cmd = [cc, *target.cflags(), src, "-o", out, "-lm"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BuildError(
                f"compiling function {symbol!r} took longer than {timeout:g}s ({' '.join(cmd)})"
            ) from None
        if proc.returncode != 0:
            diag = "\n".join(line for line in proc.stderr.splitlines()
                             if "error" in line)[:4000]
            raise BuildError(
                f"compiling function {symbol!r} failed (exit {proc.returncode}):\n{diag}\n"
                f"generated code:\n{_excerpt(source, proc.stderr)}"
            )
        with open(out, "rb") as f:
            return f.read()
