"""click, speaking the trainee's language.

Help texts are written once, in English, as msgids (``help=N_("...")``) and translated each time
they are shown, because click builds commands at import time, before ``--lang`` is read, and
tests (or a future browser host) run several languages in one process. click's own words
("Usage:", "Options", "Missing argument", ...) are gettext calls in click's modules; they are
routed through chaoskit's catalogue, and :data:`CLICK_WORDS` lists the ones chaoskit's terminal
shows so that extraction puts them in chaoskit's catalogue (a test checks they are still click's).
"""

from __future__ import annotations

import functools
import gettext
import importlib
from collections.abc import Callable
from typing import Any

import click

from chaoskit.i18n import N_, _, ngettext

SHOW_HELP = N_("Show this message and exit.")

# click's messages as click spells them (extracted from click's sources; see the module docstring).
CLICK_WORDS = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Positional arguments"), SHOW_HELP,
    N_("Show the version and exit."), N_("%(prog)s, version %(version)s"),
    N_("default: {default}"), N_("env var: {var}"), N_("required"), N_("(dynamic)"),
    N_("Invalid value: {message}"), N_("Invalid value for {param_hint}: {message}"),
    N_("Missing argument"), N_("Missing option"), N_("Missing parameter"), N_("Missing {param_type}"),
    N_("Missing command."), N_("No such option {name!r}."), N_("No such command {name!r}."),
    N_("Option {name!r} does not take a value."), N_("Aborted!"),
    N_("{value!r} is not a valid {number_type}."), N_("{value} is not in the range {range}."),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."), N_("file"), N_("directory"), N_("path"),
)
CLICK_PLURALS = (
    (N_("Got unexpected extra argument ({args})"), N_("Got unexpected extra arguments ({args})")),
    (N_("Did you mean {possibility}?"), N_("(Did you mean one of: {possibilities}?)")),
    (N_("{value!r} is not {choice}."), N_("{value!r} is not one of {choices}.")),
    (N_("Option {name!r} requires an argument."), N_("Option {name!r} requires {nargs} arguments.")),
)
CLICK_MODULES = ("click.core", "click.decorators", "click.exceptions", "click.formatting", "click.parser",
                 "click.types", "click.termui", "click.utils")


def route_click_messages() -> None:
    """Make click's gettext calls look in chaoskit's catalogue. click binds the standard
    ``gettext.gettext`` into each module as ``_`` (and ``ngettext``), which reads the global
    domain and the environment only; only those bindings are replaced, so a click that changes
    how it translates is left alone (its words then stay English)."""
    for name in CLICK_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if getattr(module, "_", None) is gettext.gettext:
            module._ = _  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = ngettext  # type: ignore[attr-defined]


class PathType(click.Path):
    """click's Path, naming itself (file, directory, path) in the current language when it
    complains: click translates that word once, when the command is built."""

    @property
    def name(self) -> str:
        if self.file_okay and not self.dir_okay:
            return _("file")
        if self.dir_okay and not self.file_okay:
            return _("directory")
        return _("path")

    @name.setter
    def name(self, value: str) -> None:
        """click's constructor assigns the word it translated then; it is worked out when read."""


class _LocalizedHelp:
    """``help`` holds a msgid and reads back translated into the current language."""

    _help_msgid: str | None = None

    @property
    def help(self) -> str | None:
        return _(self._help_msgid) if self._help_msgid else self._help_msgid

    @help.setter
    def help(self, value: str | None) -> None:
        self._help_msgid = value


class Option(_LocalizedHelp, click.Option):
    """An option whose help is a msgid."""


class Argument(_LocalizedHelp, click.Argument):
    """An argument whose help (if any) is a msgid."""


class Command(_LocalizedHelp, click.Command):
    """A command whose help is a msgid, with a help option that speaks the current language."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)  # cached by click with the words of its first use
        if option is not None:
            option.help = _(SHOW_HELP)
        return option


class Group(_LocalizedHelp, click.Group):
    """A group whose help is a msgid; its ``@group.command`` children are localized too."""

    command_class = Command

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = _(SHOW_HELP)
        return option


Group.group_class = Group


def command(name: str | None = None, **attrs: Any) -> Callable[[Callable[..., Any]], Command]:
    return click.command(name, cls=Command, **attrs)


def group(name: str | None = None, **attrs: Any) -> Callable[[Callable[..., Any]], Group]:
    return click.group(name, cls=Group, **attrs)


option = functools.partial(click.option, cls=Option)
argument = functools.partial(click.argument, cls=Argument)
