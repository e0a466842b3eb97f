"""The ``chaoskit`` group: commands load lazily, and errors become one line at one boundary.

A command's module is imported only when that command runs (``chaoskit check`` must not pay for
the Kubernetes client or the simulator). Every :class:`~chaoskit.errors.ChaoskitError` raised
below becomes ``error: <message>`` on stderr and exit code 1; an interrupted command exits 130;
anything else (a bug) is one line too, with the traceback only when ``CHAOSKIT_DEBUG`` is set.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import IO, Any

import click

from chaoskit.errors import ChaoskitError

INTERNAL_ERROR = 70  # EX_SOFTWARE (sysexits.h): chaoskit itself failed


class UserError(click.ClickException):
    """A ChaoskitError on its way to the terminal: ``error: <message>``, exit 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class LazyGroup(click.Group):
    """A group whose subcommands are ``"module:attribute"`` strings, imported on first use."""

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands:
            module, _, attribute = self.lazy_subcommands[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy_subcommands[cmd_name]} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)


class ChaoskitGroup(LazyGroup):
    """The top-level group: the one place where errors are turned into messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ChaoskitError as exc:
            raise UserError(str(exc)) from exc
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:  # 'chaoskit list | head': the reader left; say nothing more
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(141)  # 128 + SIGPIPE, as a shell reports a writer killed by it
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:  # a bug: still one line, unless asked for the traceback
            if os.environ.get("CHAOSKIT_DEBUG"):
                traceback.print_exc()
            click.echo(f"error: internal error: {type(exc).__name__}: {exc} "
                       "(set CHAOSKIT_DEBUG=1 for the traceback)", err=True)
            sys.exit(INTERNAL_ERROR)
