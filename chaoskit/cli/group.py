"""The ``chaoskit`` group: commands load lazily, and errors become one line at one boundary.

A command's module is imported only when that command runs (``chaoskit check`` must not pay for
the Kubernetes client or the simulator). Every :class:`~chaoskit.errors.ChaoskitError` raised
below becomes ``error: <message>`` on stderr and exit code 1, and so does an ``OSError`` no layer
converted (a last resort: the layer that touched the file should say what it was for); a usage
error (a bad flag or value) is one such line too, exit code 2 as click gives it; an interrupted
command exits 130;
anything else (a bug) is one line, with the traceback only when ``CHAOSKIT_DEBUG`` is set.
The ``error: `` prefix is never translated: scripts and tests look for it.

The group also chooses the language (``--lang``, ``CHAOSKIT_LANG``) before anything is printed,
even for ``chaoskit --help --lang ko`` where click would show the help first.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import IO, Any

import click

from chaoskit.cli.localized import Group, route_click_messages
from chaoskit.errors import ChaoskitError
from chaoskit.i18n import _, available, supported, use, verbatim

INTERNAL_ERROR = 70  # EX_SOFTWARE (sysexits.h): chaoskit itself failed
USAGE_ERROR = 2  # click's exit code for a bad command line

route_click_messages()


class UserError(click.ClickException):
    """A ChaoskitError on its way to the terminal: ``error: <message>``, exit 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        # one line, whatever the message carried (a YAML problem list, a server's multi-line text)
        click.echo(verbatim("error: ") + " ".join(self.format_message().split()), err=True)


class CommandLineError(UserError):
    """A usage error (a bad flag or value), one line like the others; exit 2 as click gives it."""

    exit_code = USAGE_ERROR


def usage_error(exc: click.UsageError) -> click.UsageError | UserError:
    """click's usage error (usage, a hint and ``Error: ...`` over three lines) as one line."""
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        return exc  # 'chaoskit cluster' alone: the help is the answer, not an error
    message = exc.format_message()
    if exc.ctx is not None:
        message = _("{message} (see '{command} --help')").format(message=message, command=exc.ctx.command_path)
    return CommandLineError(message)


def choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """--lang / CHAOSKIT_LANG: a language chaoskit has a catalogue for (English needs none)."""
    if value and not supported(value):
        raise click.BadParameter(_("no catalogue for {lang!r}; available: {langs}").format(
            lang=value, langs=", ".join(available())), ctx, param)
    use(value or None)


def early_language(args: Sequence[str]) -> str | None:
    """The ``--lang`` given before the command name, read before click processes ``--help``."""
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
        if not arg.startswith("-"):
            return None
    return None


class LazyGroup(Group):
    """A group whose subcommands are ``"module:attribute"`` strings, imported on first use."""

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands:
            module, _sep, attribute = self.lazy_subcommands[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy_subcommands[cmd_name]} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)


class ChaoskitGroup(LazyGroup):
    """The top-level group: the one place where errors are turned into messages and exit codes."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        wanted = early_language(args) or os.environ.get("CHAOSKIT_LANG") or None
        use(wanted if wanted and supported(wanted) else None)  # a bad one is refused by --lang's own check
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise usage_error(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ChaoskitError as exc:
            raise UserError(str(exc)) from exc
        except click.UsageError as exc:
            raise usage_error(exc) from None
        except KeyboardInterrupt:
            click.echo(_("interrupted"), err=True)
            sys.exit(130)
        except BrokenPipeError:  # 'chaoskit list | head': the reader left; say nothing more
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(141)  # 128 + SIGPIPE, as a shell reports a writer killed by it
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except OSError as exc:  # last resort: a file or folder a layer below did not convert where it failed
            where = exc.filename if exc.filename is not None else _("a file")
            raise UserError(_("cannot use {path}: {reason}").format(path=where, reason=exc.strerror or exc)) \
                from exc
        except Exception as exc:  # a bug: still one line, unless asked for the traceback
            if os.environ.get("CHAOSKIT_DEBUG"):
                traceback.print_exc()
            message = _("internal error: {kind}: {error} (set CHAOSKIT_DEBUG=1 for the traceback)")
            click.echo(verbatim("error: ") + message.format(kind=type(exc).__name__, error=" ".join(str(exc).split())),
                       err=True)
            sys.exit(INTERNAL_ERROR)
