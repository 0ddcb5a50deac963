"""CommandError: bad command-line input. `raytune-ms` prints it as one line (no traceback)
and exits with status 2, the status argparse gives a malformed command. It is a SystemExit, so
code that calls a command's helpers outside the CLI stops the same way."""


class CommandError(SystemExit):
    def __str__(self) -> str:
        return str(self.code)
