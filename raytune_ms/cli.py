"""The `raytune-ms` command: each subcommand lives beside the code it drives and registers
itself here through a `register(subparsers)` function, imported lazily so `--help` is fast."""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "workloads": "raytune_ms.workloads.cli",
    "tune": "raytune_ms.tune_cli",
    "db": "raytune_ms.database.cli",
    "space": "raytune_ms.space_generator.cli",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="raytune-ms", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS.values():
        importlib.import_module(module).register(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
