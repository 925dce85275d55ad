"""Entry point of the ``hiprom`` command.

Each command lives in its own module and is imported only when it runs, so
``hiprom --help`` stays fast and a command never pays for another's imports.
Every ``HipromError`` ends as one line on stderr and the error's exit code;
a traceback is shown only for a real bug (or with ``--debug``).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import os
import re
import sys
from typing import NoReturn

import click

from hiprom import __version__
from hiprom.cli.encoding import fit_streams
from hiprom.errors import HipromError
from hiprom.installed import docs_dir
from hiprom.native_stderr import silence_native_stderr_for_good

# command name -> "module:attribute" of its click command.
COMMANDS: dict[str, str] = {
    "models": "hiprom.cli.models_cmd:models",
    "track": "hiprom.cli.track_cmd:track",
    "analyze": "hiprom.cli.analyze_cmd:analyze",
    "serve": "hiprom.cli.serve_cmd:serve",
    "signin-link": "hiprom.cli.signin_link_cmd:signin_link",
    "devices": "hiprom.cli.devices_cmd:devices",
    "batch": "hiprom.cli.batch_cmd:batch",
    "report": "hiprom.cli.report_cmd:report",
    "subjects": "hiprom.cli.subjects_cmd:subjects",
    "sessions": "hiprom.cli.sessions_cmd:sessions",
    "validate": "hiprom.cli.validate_cmd:validate",
    "backup": "hiprom.cli.store_admin_cmd:backup",
    "restore": "hiprom.cli.store_admin_cmd:restore",
    "store": "hiprom.cli.store_admin_cmd:store",
    "exercises": "hiprom.cli.exercises_cmd:exercises",
    "reps": "hiprom.cli.exercises_cmd:reps",
    "program": "hiprom.cli.exercises_cmd:program",
    "retest": "hiprom.cli.exercises_cmd:retest",
    "trend": "hiprom.cli.exercises_cmd:trend",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported when first used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        formatter.write_paragraph()
        first, folder = manual_lines()
        with formatter.indentation():
            formatter.write_text(first)
            formatter.write(f"{'':>{formatter.current_indent}}{folder}\n")


EXAMPLES = """\b
Examples:
  hiprom serve --source demo      the guided self-test on a demo recording
  hiprom serve                    the same with your camera
  hiprom analyze clip.mp4         measure a video: each side, the asymmetry
  hiprom analyze clip.mp4 --save --subject P-1
                                  ...and store it for subject P-1
  hiprom report 1 -o report.pdf   the PDF report of stored session 1
  hiprom batch videos/ -o out/    many files at once, resumable
  hiprom models                   where the pose model is found
"""


def manual_lines() -> list[str]:
    """Where the manual is: README.md (the exit codes) and docs/ (what the help and errors point to).

    The folder is a line of its own, so the help's wrapping never splits the path.
    """
    folder = docs_dir()
    lines = ["'hiprom COMMAND --help' shows a command's options; README.md (the exit codes) and docs/ are in"]
    return [*lines, f"{folder}" if folder is not None else "hiprom's source (they were not installed here)"]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLES)
@click.version_option(__version__, prog_name="hiprom")
@click.option("--debug", is_flag=True, help="Show full tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Measure seated hip internal and external rotation from a camera or video."""
    ctx.obj = {"debug": debug}
    notices = logging.getLogger("hiprom")
    if not any(isinstance(h, NoticeLines) for h in notices.handlers):
        notices.addHandler(NoticeLines(logging.WARNING))


class NoticeLines(logging.Handler):
    """hiprom's warnings (a records store made owner-only, ...) as ``hiprom: ...`` lines on stderr.

    ``hiprom serve`` puts its own timestamped handler in place of this one.
    """

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"hiprom: {record.getMessage()}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; turn user errors into one line and a trustworthy exit code (README, "Exit codes")."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    fit_streams()  # a terminal without '°' or 'é' gets 'deg' and 'e', not a UnicodeEncodeError
    if not debug:
        # MediaPipe's native log lines go straight to fd 2: off the terminal.
        silence_native_stderr_for_good()
    try:
        # Not cli.main(): it turns a closed stdout into a silent exit 1 we could not tell apart.
        with cli.make_context("hiprom", args) as ctx:
            cli.invoke(ctx)
    except HipromError as exc:
        if debug:
            raise
        _error_line(str(exc))
        return exc.exit_code
    except click.exceptions.Exit as exc:  # --help, --version, or a command ending itself (ctx.exit)
        return exc.exit_code
    except click.exceptions.NoArgsIsHelpError as exc:  # plain `hiprom`: the help, not an error line
        exc.show()
        return exc.exit_code
    except click.ClickException as exc:
        _error_line(_click_message(exc, args))
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("hiprom: interrupted", err=True)
        return 130
    except BrokenPipeError:
        # The reader went away (`hiprom analyze S | head -1`): stop quietly, with the code of a
        # program ended by SIGPIPE, so `set -o pipefail` still sees the output was cut short.
        _drop_stdout()
        return EXIT_STDOUT_CLOSED
    return 0


EXIT_STDOUT_CLOSED = 141
"""Exit code when stdout was closed by its reader: 128 + SIGPIPE, as for any program a pipe ends."""


def _error_line(message: str) -> None:
    """The one line every error ends with: ``hiprom: error: ...``."""
    click.secho(f"hiprom: error: {message}", fg="red", err=True)


def _click_message(exc: click.ClickException, args: list[str]) -> str:
    """Click's message for a bad option or argument, with where to look.

    Click gives an option missing its value ("Option '--json' requires an argument.") no
    context, so the command is then read from ``args``.
    """
    message = re.sub(r"\s*\n\s*", " ", exc.format_message())  # a missing choice lists them a line each
    dashed = _dashed_file(args) if isinstance(exc, click.NoSuchOption) else None
    if dashed is not None:
        # "-clip.mp4" reads as the options -c, -l...: "No such option '-c'" alone does not say why.
        return (f"'{dashed}' is read as options ({message.rstrip('.')}); to name the file, write "
                f"'./{dashed}' or put '--' before it")
    if isinstance(exc, click.UsageError):
        ctx = getattr(exc, "ctx", None)
        message += f" (see '{ctx.command_path if ctx is not None else _command_path(args)} --help')"
    return message


def _dashed_file(args: list[str]) -> str | None:
    """The first argument that starts with '-' and names an existing file or folder, if any."""
    return next((a for a in args if a.startswith("-") and a != "-" and os.path.lexists(a)), None)


def _command_path(args: list[str]) -> str:
    """``hiprom sessions show`` from the command line ``args``: the group and subcommand names it starts with."""
    path, command = ["hiprom"], cli
    for token in args:
        if token.startswith("-"):
            continue
        found = command.get_command(None, token) if isinstance(command, click.Group) else None  # type: ignore[arg-type]
        if found is None:
            break
        path.append(token)
        command = found
    return " ".join(path)


def _drop_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def run() -> NoReturn:
    """The ``hiprom`` console command: :func:`main`, then exit with its code.

    ``gc.freeze()`` first: the interpreter's last garbage collection, over the
    objects of MediaPipe, matplotlib and SciPy, otherwise adds about 0.2 s to the
    exit of every command that tracked a video (measured), for memory the
    operating system frees anyway. Exit handlers still run.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
