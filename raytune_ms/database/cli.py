"""`raytune-ms db ...`: summarise, rank, re-measure, compact, export and plot tuning stores.

DIR is a parquet store (a directory or a pyarrow.fs URI) or a JSON database directory (one that
holds database_workload.json).
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import sys

from ..cli_error import CommandError
from ..progress import format_ms
from .database import top_k_valid


def open_database(path: str, *, writable: bool = False):
    """The database at `path`, without creating one; nor, unless `writable` (a command that
    commits), any of its missing directories."""
    if "://" not in path:
        if not os.path.isdir(path):
            raise CommandError(f"no database at {path}: not a directory")
        if os.path.exists(os.path.join(path, "database_workload.json")):
            from .json_database import JSONDatabase

            return JSONDatabase(work_dir=path, allow_missing=False)
        if not os.path.isdir(os.path.join(path, "records")):
            raise CommandError(
                f"no database at {path}: expected a parquet store (records/, workloads/) "
                "or a JSON database (database_workload.json)"
            )
    else:
        _check_uri(path)
    from .parquet_database import ParquetDatabase

    return ParquetDatabase(path, create=writable)


def _check_uri(uri: str) -> None:
    """A parquet store's URI names a filesystem pyarrow knows and a store that exists."""
    from pyarrow import fs as pafs

    try:
        filesystem, root = pafs.FileSystem.from_uri(uri)
        info = filesystem.get_file_info(root.rstrip("/") + "/records")
    except Exception as err:  # pyarrow's errors for unknown schemes, bad URIs, no access
        raise CommandError(f"cannot open {uri}: {str(err).splitlines()[0]}") from None
    if info.type == pafs.FileType.NotFound:
        raise CommandError(f"no parquet store at {uri}: it has no records/ directory")


def _open_parquet(path: str):
    db = open_database(path, writable=True)
    if not hasattr(db, "compact"):
        raise CommandError(f"{path} is a JSON database; this command needs a parquet store")
    return db


def _task_names(db) -> dict:
    names = collections.defaultdict(collections.Counter)
    for rec in db.get_all_tuning_records():
        if rec.task_name:
            names[rec.workload.shash][rec.task_name] += 1
    return names


def _display_name(workload, task_names: dict) -> str:
    counts = task_names.get(workload.shash)
    if counts:
        return counts.most_common(1)[0][0]
    return ",".join(workload.names)


def summarize(db) -> dict:
    """Per (workload, target): record count, valid count and best mean time, as get_top_k ranks
    (a re-measurement stands for the readings it re-timed; a workload with no records gets one
    row without target); plus totals."""
    task_names = _task_names(db)
    workloads = db.workloads()
    by_hash = {wl.shash: wl for wl in workloads}
    rows: dict[tuple, dict] = {}
    valid = collections.defaultdict(list)
    for rec in db.get_all_tuning_records():
        key = (rec.workload.shash, rec.target_key)
        if key not in rows:
            rows[key] = _summary_row(by_hash.get(key[0], rec.workload), key[1], task_names)
        row = rows[key]
        row["records"] += 1
        if rec.is_valid():
            row["valid"] += 1
            valid[key].append(rec)
    for key, recs in valid.items():
        rows[key]["best_ms"] = top_k_valid(recs, 1)[0].mean_run_secs * 1e3
    tuned = {shash for shash, _ in rows}
    out = list(rows.values()) + [_summary_row(wl, None, task_names) for wl in workloads if wl.shash not in tuned]
    out.sort(key=lambda r: (r["workload"], r["shash"], r["target"] or ""))
    total = {
        "workloads": len(workloads),
        "records": sum(r["records"] for r in out),
        "valid": sum(r["valid"] for r in out),
    }
    return {"workloads": out, "total": total}


def _summary_row(workload, target, task_names) -> dict:
    return {"workload": _display_name(workload, task_names), "shash": workload.shash, "target": target,
            "records": 0, "valid": 0, "best_ms": None}


def _table(header: list[str], rows: list[list]) -> str:
    cells = [header] + [["-" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _summary(args) -> int:
    summary = summarize(open_database(args.dir))
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    rows = [[r["workload"], r["shash"], r["target"], r["records"], r["valid"],
             None if r["best_ms"] is None else format_ms(r["best_ms"])] for r in summary["workloads"]]
    print(_table(["workload", "hash", "target", "records", "valid", "best"], rows))
    t = summary["total"]
    print(f"total: {t['workloads']} workloads, {t['records']} records, {t['valid']} valid")
    return 0


def match_workloads(db, name: str) -> list:
    """Workloads whose task name or function name is `name`, or whose hash starts with it."""
    task_names = _task_names(db)
    return [wl for wl in db.workloads()
            if name in task_names.get(wl.shash, ()) or wl.shash.startswith(name) or name in wl.names]


def _iso(t) -> str | None:
    if t is None:
        return None
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(timespec="seconds")


def _top(args) -> int:
    db = open_database(args.dir)
    matches = match_workloads(db, args.workload)
    if not matches:
        known = sorted({row["workload"] for row in summarize(db)["workloads"]})
        print(f"no workload matches {args.workload!r}; known: {', '.join(known) or 'none'}", file=sys.stderr)
        return 1
    task_names = _task_names(db)
    result = []
    for wl in matches:
        records = db.get_top_k(wl, args.k, target=args.target)
        result.append({
            "workload": _display_name(wl, task_names), "shash": wl.shash,
            "records": [{
                "rank": i + 1, "mean_ms": r.mean_run_secs * 1e3, "run_secs": r.run_secs,
                "target": r.target_key, "task_name": r.task_name, "node": r.node,
                "time": _iso(r.time), "record_id": r.record_id,
            } for i, r in enumerate(records)],
        })
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for entry in result:
        print(f"workload {entry['workload']} ({entry['shash']}): top {len(entry['records'])}")
        rows = [[r["rank"], format_ms(r["mean_ms"]), r["target"], r["node"], r["time"], r["record_id"]]
                for r in entry["records"]]
        print(_table(["rank", "mean", "target", "node", "time", "record id"], rows))
    return 0


def _remeasure(args) -> int:
    from ..remeasure import remeasure_best

    db = open_database(args.dir, writable=True)
    matches = None
    if args.workload:
        matches = match_workloads(db, args.workload)
        if not matches:
            print(f"no workload matches {args.workload!r}", file=sys.stderr)
            return 1
    try:
        done = remeasure_best(db, args.top_k, target=args.target, workloads=matches, builder=args.builder,
                              runner=args.runner, rounds=args.rounds)
    except ValueError as err:
        raise CommandError(str(err)) from None
    rows = [[d.task_name, d.shash, len(d.before_secs), format_ms(min(d.before_secs) * 1e3),
             None if d.best_secs is None else format_ms(d.best_secs * 1e3),
             sum(e is not None for e in d.errors)] for d in done]
    print(_table(["workload", "hash", "re-measured", "best before", "best now", "failed"], rows))
    return 0


def _compact(args) -> int:
    stats = _open_parquet(args.dir).compact()
    for sub, s in stats.items():
        print(f"{sub}: merged {s['parts_merged']} parts, {s['rows']} rows")
        if s.get("unreadable"):
            print(f"{sub}: left {len(s['unreadable'])} unreadable parts in place: {', '.join(s['unreadable'])}")
        if s.get("live_logs"):
            print(f"{sub}: left {s['live_logs']} logs of running writers to them")
    return 0


def _export(args) -> int:
    out = _open_parquet(args.dir).export_json(args.out)
    print(f"exported {len(out.workloads())} workloads and {len(out)} records to {args.out}")
    return 0


def _plot(args) -> int:
    from ..tir.flop_estimate import estimate_flops
    from .plot import best_so_far, plot_curves

    db = open_database(args.dir)
    workloads = match_workloads(db, args.workload) if args.workload else db.workloads()
    if not workloads:
        print(f"no workload matches {args.workload!r}", file=sys.stderr)
        return 1
    task_names = _task_names(db)
    wanted = {wl.shash: wl for wl in workloads}
    records = collections.defaultdict(list)
    for rec in db.get_all_tuning_records():
        if rec.workload.shash in wanted and (args.target is None or rec.target_key == args.target):
            records[rec.workload.shash].append(rec)
    curves = {f"{_display_name(wanted[h], task_names)} ({h[:8]})": (best_so_far(recs), estimate_flops(wanted[h].mod))
              for h, recs in records.items()}
    if not curves:
        print("no tuning records to plot", file=sys.stderr)
        return 1
    print(plot_curves(curves, args.out, args.metric))
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("db", help="inspect and maintain tuning databases",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="db_command", required=True)

    p = sub.add_parser("summary", help="records and best time per workload and target")
    p.add_argument("dir")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_summary)

    p = sub.add_parser("top", help="the best records of one workload")
    p.add_argument("dir")
    p.add_argument("--workload", required=True, help="task name, function name or hash prefix")
    p.add_argument("-k", type=int, default=10, help="how many records (default 10)")
    p.add_argument("--target", default=None, help="only records measured on this target")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_top)

    p = sub.add_parser("remeasure", help="re-time the best records of each workload side by side, with "
                       "more repeats, as new records that rank in their place")
    p.add_argument("dir")
    p.add_argument("--top-k", type=int, default=5, help="records re-timed per workload, at least 1 (default 5)")
    p.add_argument("--target", default=None, help="the target whose records to re-time (this machine's; "
                   "needed when the store holds several)")
    p.add_argument("--workload", default=None, help="only this workload (task name, function name or hash prefix)")
    p.add_argument("--rounds", type=int, default=3, help="side-by-side rounds (default 3)")
    p.add_argument("--builder", default="local", choices=("local", "ray"), help="builder kind (default local)")
    p.add_argument("--runner", default="local", choices=("local", "ray"), help="runner kind (default local)")
    p.set_defaults(func=_remeasure)

    p = sub.add_parser("compact", help="merge a parquet store's part files")
    p.add_argument("dir")
    p.set_defaults(func=_compact)

    p = sub.add_parser("export", help="write a parquet store as a JSON database")
    p.add_argument("dir")
    p.add_argument("--json", required=True, dest="out", metavar="OUT", help="JSON database directory")
    p.set_defaults(func=_export)

    p = sub.add_parser("plot", help="best-so-far GFLOP/s (or ms) against trials, per workload, as a PNG")
    p.add_argument("dir")
    p.add_argument("--out", default="curve.png", help="PNG file to write (default curve.png)")
    p.add_argument("--workload", default=None, help="only this workload (task name, function name or hash prefix)")
    p.add_argument("--metric", choices=("gflops", "ms"), default="gflops", help="what to draw (default gflops)")
    p.add_argument("--target", default=None, help="only records measured on this target")
    p.set_defaults(func=_plot)
