"""bench/pipeline_throughput.py still runs and prints its JSON lines (a smoke test)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_pipeline_bench_prints_json_lines():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "pipeline_throughput.py"), "--trials", "6",
                          "--builders", "1", "2"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [line["builders"] for line in lines] == [1, 2]
    for line in lines:
        assert line["trials"] == 6 and line["errors"] == 0
        assert line["candidates_per_s"] > 0 and 0 <= line["runner_idle_fraction"] <= 1
