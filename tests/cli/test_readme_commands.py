"""The README's `raytune-ms` commands run as written (in order, in a fresh directory), with the
tuning budget cut to a few trials and small shapes so the test stays short; `pip`, the test
suite and the cluster block are left out (the cluster tests run that one)."""

import pathlib
import re
import shlex
import subprocess
import sys

import pytest

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()  # a trailing comment
            command = line.split("&&")[-1].strip()
            if command.startswith("raytune-ms "):
                commands.append(command)
    return commands


def small(command: str) -> list[str]:
    args = shlex.split(command)[1:]
    if args[0] == "tune":
        args[args.index("--trials") + 1] = "2"
        args += ["--num-trials-per-iter", "2", "--no-progress"]
        if "--size" not in args:
            args += ["--size", "small"]
    return [sys.executable, "-m", "raytune_ms.cli", *args]


def test_the_readme_shows_the_commands():
    commands = readme_commands()
    assert commands[0] == "raytune-ms tune --workload GMM --trials 64 --work-dir work_dir"
    assert any(c.startswith("raytune-ms db top") for c in commands)


@pytest.mark.slow
def test_readme_commands_run(tmp_path):
    for command in readme_commands():
        proc = subprocess.run(small(command), cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        assert "Traceback" not in proc.stderr, command
        if command.startswith("raytune-ms db top"):
            assert "workload GMM-1024" in proc.stdout and "rank" in proc.stdout
