"""CommandError: bad command-line input. `raytune-ms` prints it as one line (no traceback)
and exits with status 2, the status argparse gives a malformed command."""


class CommandError(Exception):
    pass
