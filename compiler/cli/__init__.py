"""Command line: argv -> one command (cli/commands.py) -> an exit code; the one place that maps
exceptions to exit codes. No logic lives here."""

# ruff: noqa: E402  (the collector's thresholds are set before the CLI's own imports, below)

from __future__ import annotations

import gc

# One command builds a model that lives until exit and allocates without cycles in bulk: under
# the default thresholds (700, 10, 10) the collector rescans everything kept, 15 % of validate's
# CPU at 1000x50 and about a third at 5000x200 (issue 26). Rarer young collections keep cycles
# collected; Session.valid_project freezes the model once built. Set before the CLI's own imports,
# which under the default thresholds ran 14 collections (about 1.2 ms of a cold validate).
gc.set_threshold(100_000, 50, 1000)

import os
import sys
from collections.abc import Sequence

from compiler.cli.commands import COMMANDS, Session, diagnostics_format, root_of
from compiler.cli.parser import build_parser, named_command
from compiler.cli.streams import Unwritable, prepare, unwritable_exit, write
from compiler.errors import AstroGitopsError, ExitCode, InvalidEnvironments
from compiler.escaping import one_line
from compiler.report.registry import DIAGNOSTICS, Style

REPORT_URL = "https://github.com/astro-gitops/astro-gitops/issues"


# --- main: the one place that maps outcomes to exit codes ---------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    prepare()
    try:
        return _main(argv)
    except Unwritable as exc:
        return unwritable_exit(exc)


def _main(argv: Sequence[str] | None) -> int:
    environ = dict(os.environ)
    try:
        args = build_parser(named_command(sys.argv[1:] if argv is None else argv)).parse_args(argv)
    except SystemExit as exc:  # argparse: --help, --version (0) or bad usage (2)
        return int(exc.code or 0)
    if sys.stdout is None:  # closed before we started (`>&-`): our output has nowhere to go
        raise Unwritable("stdout", None)
    terminal = sys.stdout.isatty()
    style = Style(terminal, terminal and "NO_COLOR" not in environ, environ.get("GITHUB_ACTIONS") == "true")
    try:
        return COMMANDS[args.command].run(args, Session(root_of(args.root), environ, style))
    except InvalidEnvironments as exc:
        requested = getattr(args, "format", None)
        fmt = "text" if requested == "json" and args.command != "validate" else requested
        write("stderr", DIAGNOSTICS.report(exc.diagnostics, diagnostics_format(fmt, environ), style).out)
        return ExitCode.INVALID
    except AstroGitopsError as exc:
        # An error can quote a server, which can quote a token or a secret: masked, or withheld
        # when it shows one in a form not masked in place (compiler/redaction.py).
        from compiler.redaction import guarded

        details = "".join(f"{one_line(guarded(line))}\n" for line in exc.details)
        write("stderr", f"astro-gitops: {one_line(guarded(exc.headline))}\n{details}")
        return exc.exit_code
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except Unwritable:
        raise  # main() answers it: the output cannot be delivered, which is no bug
    except BrokenPipeError as exc:
        # The reader went away (`| head`): not a bug.
        raise Unwritable("stdout", exc) from None
    except Exception as exc:
        # Only the exception's type: its message could quote a secret value.
        write("stderr", f"astro-gitops: internal error ({type(exc).__name__}); please report it at {REPORT_URL}\n")
        return ExitCode.INTERNAL
