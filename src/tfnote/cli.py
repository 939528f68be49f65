"""The `tfnote` command line: thin argument parsing over library calls.

Nothing here imports TensorFlow at module level, so `tfnote --help` and argument errors
answer at once. Each command group lives in tfnote/commands/<group>.py and exposes
`register(subparsers)`, which adds its sub-commands with `set_defaults(func=...)`.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys

from tfnote import __version__
from tfnote.errors import TfnoteError

# One module per command group, in the order `tfnote --help` lists them.
COMMAND_MODULES = ("train", "show", "scratch", "images", "zoo", "sequences", "report", "serve")


NOT_GIVEN = (None, False, argparse.SUPPRESS)  # defaults that `--help` does not show


def _given(default) -> bool:
    """Whether `--help` should show this default (0 is one, though 0 == False)."""
    return not any(default is value for value in NOT_GIVEN) and default != []


class DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """`--help` shows each option's default, unless its help already states it, or the
    default is "not given" (None, False)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if "default" in text or not _given(default):
            return text
        return super()._get_help_string(action)


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line (argparse would print the whole usage first). Every
    sub-command's parser is one too, so all of them show their defaults."""

    def __init__(self, *args, **kwargs):
        if kwargs.get("formatter_class") in (None, argparse.ArgumentDefaultsHelpFormatter):
            kwargs["formatter_class"] = DefaultsFormatter
        super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs):
        """An option with a default but no help still shows its default in `--help`."""
        action = super().add_argument(*args, **kwargs)
        if action.help is None and action.option_strings and _given(action.default):
            action.help = "(default: %(default)s)"
        return action

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="tfnote",
        description="The programs of 'AI Practice: TensorFlow Notes' on current TensorFlow.",
    )
    parser.add_argument("--version", action="version", version=f"tfnote {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"tfnote.commands.{name}").register(sub)
    return parser


WRITE_ERRORS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EFBIG}


def os_error_line(e: OSError) -> str:
    """An OSError that escaped a command, as the one line the user sees."""
    where = f" {e.filename}" if e.filename else ""
    reason = e.strerror or str(e)
    if e.errno in WRITE_ERRORS:
        return f"cannot write{where}: {reason}"
    return f"{where.strip()}: {reason}" if where else reason


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except TfnoteError as e:
        print(f"tfnote: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # a full disk, a read-only file system... found while writing
        print(f"tfnote: error: {os_error_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        saved = f"{e}; " if str(e) else ""  # the run folder says which epoch it saved
        print(
            f"\ntfnote: interrupted; {saved}run the same command to continue",
            file=sys.stderr,
        )
        return 130
