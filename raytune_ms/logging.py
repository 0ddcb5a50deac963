"""Tuning logs: one file per task under `work_dir/logs`, plus `work_dir/logs/tune.log` for the
run as a whole. Nothing goes to stdout (a notebook stays readable); warnings and errors of the
run also reach stderr once. A live view is the progress bar / statistics table, not the log.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re

FORMAT = "%(asctime)s %(levelname)s %(message)s"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60] or "task"


def _file_logger(name: str, path: str, level: int, to_stderr: bool) -> logging.Logger:
    logger = logging.getLogger(name)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(level)
    logger.propagate = False
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(handler)
    if to_stderr:
        console = logging.StreamHandler()
        console.setLevel(logging.WARNING)
        console.setFormatter(logging.Formatter("raytune_ms %(levelname)s: %(message)s"))
        logger.addHandler(console)
    return logger


def log_dir(work_dir: str) -> str:
    path = os.path.join(work_dir, "logs")
    os.makedirs(path, exist_ok=True)
    return path


def get_loggers_from_work_dir(work_dir: str, task_names: list[str], level: int = logging.INFO):
    """(run logger, one logger per task) writing to files under `work_dir/logs`.

    Logger names carry a digest of the work_dir, so two runs in one process do not share them;
    calling this again for the same work_dir replaces the handlers instead of adding more.
    """
    directory = log_dir(work_dir)
    tag = hashlib.sha1(os.path.abspath(work_dir).encode()).hexdigest()[:8]
    run_logger = _file_logger(f"raytune_ms.tune.{tag}", os.path.join(directory, "tune.log"), level, True)
    task_loggers = [
        _file_logger(
            f"raytune_ms.task.{tag}.{i}",
            os.path.join(directory, f"task_{i:03d}_{_safe(name)}.log"),
            level,
            False,
        )
        for i, name in enumerate(task_names)
    ]
    return run_logger, task_loggers
