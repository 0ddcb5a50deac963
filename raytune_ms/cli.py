"""raytune-ms: tune tensor programs of the standard op suite on Ray, and inspect the tuning
databases they leave."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .cli_error import CommandError

SUBCOMMANDS = {
    "workloads": "raytune_ms.workloads.cli",
    "tune": "raytune_ms.tune_cli",
    "tune-model": "raytune_ms.tune_model_cli",
    "db": "raytune_ms.database.cli",
    "space": "raytune_ms.space_generator.cli",
}

EPILOG = """examples:
  raytune-ms workloads --list
  raytune-ms tune --workload GMM --trials 64 --work-dir work_dir
  raytune-ms db summary work_dir/database

`raytune-ms COMMAND --help` shows each command's options."""


class Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line: `raytune-ms tune: error: ...`, status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="raytune-ms", description=__doc__, epilog=EPILOG,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS.values():
        importlib.import_module(module).register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # here, so a closed pipe is reported below and not at exit
        return code
    except CommandError as err:
        print(f"{parser.prog} {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # outside a tuning run (which stops cleanly by itself)
        print(f"{parser.prog} {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `raytune-ms ... | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
