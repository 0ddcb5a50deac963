"""Ctrl-C on a real `raytune-ms tune` run: SIGINT to its process group (what a terminal sends)
after some results are logged keeps every result measured so far, prints the one-line summary,
exits 130; a rerun resumes without measuring a trace again."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from raytune_ms.database.parquet_database import ParquetDatabase
from raytune_ms.search_strategy.measured_traces import trace_key

RESULT = re.compile(r"INFO \[(\d+)\] ")


def _results_logged(work_dir) -> int:
    logs = work_dir / "logs"
    if not logs.exists():
        return 0
    return sum(len(RESULT.findall(p.read_text())) for p in logs.glob("task_000_*.log"))


def _tune(work_dir, trials, **popen):
    cmd = [sys.executable, "-m", "raytune_ms.cli", "tune", "--workload", "GMM", "--size", "small",
           "--trials", str(trials), "--work-dir", str(work_dir), "--num-trials-per-iter", "4",
           "--no-progress", "--json"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def _records(work_dir):
    return ParquetDatabase(str(work_dir / "database")).get_all_tuning_records()


@pytest.mark.slow
def test_sigint_saves_every_measured_result_and_a_rerun_resumes(tmp_path):
    work_dir = tmp_path / "W"
    proc = _tune(work_dir, 32, start_new_session=True)  # its own process group, like a shell job
    deadline = time.monotonic() + 400
    while _results_logged(work_dir) < 3:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no results logged"
        time.sleep(0.2)
    before = _results_logged(work_dir)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    records = _records(work_dir)
    logged = _results_logged(work_dir)
    assert len(records) >= before  # everything measured before the signal ...
    assert len(records) == logged  # ... and every result delivered after it, up to the end
    line = f"interrupted after {logged} trials; {logged} records saved; rerun to resume"
    assert line in err.splitlines(), err
    assert "Traceback" not in err
    assert {r.task_name for r in records} == {"GMM"}

    more = 3
    rerun = _tune(work_dir, more)
    out, err = rerun.communicate(timeout=400)
    assert rerun.returncode == 0, err
    assert f"resuming: {len(records)} record(s) of GMM found" in err and f"{more} more trial(s) to run" in err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["trials"] == more and summary["records"] == len(records) + more
    after = _records(work_dir)
    print(f"results logged before SIGINT {before}, records saved {len(records)}, after the rerun {len(after)}")
    assert len(after) == len(records) + more
    assert len({trace_key(r.trace_text()) for r in after}) == len(after)  # nothing measured twice
    assert len({r.record_id for r in after}) == len(after)
