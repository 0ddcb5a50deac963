"""bench/trace_replay.py still runs: its plain and incremental (ReplayCache) replays of a
mutated trace give the same program, and it reports the search's phases per candidate (a smoke
test at 3 repeats and 3 candidates of the small GMM)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_trace_replay_bench_prints_its_json_line():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "trace_replay.py"), "--repeat", "3",
                          "--workload", "GMM", "--size", "small", "--candidates", "3"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    line, search = (json.loads(x) for x in out.stdout.strip().splitlines()[-2:])
    assert line["bench"] == "trace_replay" and line["mutated_same_program"] is True
    assert line["median_ms"] > 0 and line["mutated_plain_ms"] > 0 and line["mutated_cached_ms"] > 0
    assert search["bench"] == "trace_replay_search" and search["workload"] == "GMM"
    assert search["random_replay_ms"] > 0 and search["features_ms"] > 0 and search["python_calls"] > 0
    assert "cpu" in search and "avx512" in search
