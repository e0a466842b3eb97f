"""Message catalogues for everything a trainee reads (gettext, compiled with Babel).

Strings are marked with :func:`_` where they are used (``_("no session yet")``) or with
:func:`N_` where they are defined before a language is chosen (click help texts, grade labels);
``make messages`` extracts them into ``chaoskit/locale/chaoskit.pot``, updates every
``chaoskit/locale/<lang>/LC_MESSAGES/chaoskit.po`` and compiles each to ``chaoskit.mo``, which
Python's own :mod:`gettext` reads: Babel is a tool for developers, not a runtime dependency.
The language comes from ``--lang``, else ``CHAOSKIT_LANG``, else the locale (``LANGUAGE``,
``LC_ALL``, ``LC_MESSAGES``, ``LANG``); English is the source language and the fallback. A new
language is one more ``.po`` file (and its compiled ``.mo``): nothing in the code lists languages.

Placeholders are named (``_("no scenario {id!r}").format(id=sid)``) so a translation may put them
in any order. Kubernetes' own words (API messages, kubectl output, the simulator's texts) are
never translated: a trainee must recognise them in a real cluster.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

DOMAIN = "chaoskit"
SOURCE_LANGUAGE = "en"
_active: list[str] = []
_locale_dirs: list[Path] = []


def locale_dir() -> Path:
    """Where the catalogues are: the package's ``locale`` folder unless :func:`set_locale_dir` moved it."""
    if _locale_dirs:
        return _locale_dirs[-1]
    return Path(str(resources.files("chaoskit") / "locale"))


def set_locale_dir(path: Path | None) -> None:
    """Read catalogues from ``path`` (``None``: the package's own). For translators trying a
    catalogue before it ships, and for tests that bring their own."""
    _locale_dirs.clear()
    if path is not None:
        _locale_dirs.append(Path(path))


def available() -> list[str]:
    """The languages with a compiled catalogue, plus English (the source needs none)."""
    found = {SOURCE_LANGUAGE}
    root = locale_dir()
    if root.is_dir():
        found |= {d.name for d in root.iterdir() if (d / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()}
    return sorted(found)


def supported(code: str) -> bool:
    """Whether ``code`` (``ko``, ``ko_KR``, ``ko_KR.UTF-8``) names a language with a catalogue."""
    base = code.split(".")[0].split("@")[0]
    have = available()
    return base in have or base.split("_")[0] in have


def requested() -> list[str]:
    """The languages asked for, most wanted first: --lang, CHAOSKIT_LANG, then the locale."""
    if _active:
        return list(_active)
    wanted: list[str] = []
    for var in ("CHAOSKIT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        for item in value.split(":"):
            code = item.split(".")[0].split("@")[0]
            if code and code not in ("C", "POSIX"):
                wanted.append(code)
        if wanted:
            break
    return wanted


@lru_cache(maxsize=16)
def _translation(languages: tuple[str, ...], directory: Path) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, str(directory), languages=list(languages) or [SOURCE_LANGUAGE],
                               fallback=True)


def _current() -> gettext.NullTranslations:
    return _translation(tuple(requested()), locale_dir())


def use(language: str | None) -> None:
    """Choose the language for this process (``None``: back to the environment's)."""
    _active.clear()
    if language:
        _active.append(language)


def language() -> str:
    """The language messages are shown in: the first requested one that has a catalogue."""
    have = available()
    for code in requested():
        for candidate in (code, code.split("_")[0]):
            if candidate in have:
                return candidate
    return SOURCE_LANGUAGE


def _(message: str) -> str:
    """``message`` in the chosen language (itself when no catalogue has it)."""
    if not message:
        return message  # gettext maps "" to the catalogue's header
    return _current().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it yet (translated where it is shown)."""
    return message


def fill(template: str, args: Mapping[str, Any], translate: bool = False) -> str:
    """``template.format(**args)``, where an argument that is itself a :class:`Message` is shown
    in English (or translated, with ``translate``); the template itself when a translation broke
    its placeholders: a bad catalogue entry must cost a message its values, never a traceback."""
    values = {k: (v.translated() if translate else v.english()) if isinstance(v, Message) else v
              for k, v in args.items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError):
        return template


@dataclass(frozen=True)
class Message:
    """A message kept in English with its values, to be shown in whatever language reads it.

    Results that are stored (a grade, a guardrail violation) carry these instead of finished
    text, so ``grade.json`` stays English (scripts compare its words) while a report renders it
    in the reader's language, even one chosen long after the session ended. Values may be
    Messages themselves (a destructive command's reason inside the penalty's detail)."""

    msgid: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def english(self) -> str:
        return fill(self.msgid, self.args)

    def translated(self) -> str:
        return fill(_(self.msgid), self.args, translate=True)

    def __str__(self) -> str:
        return self.english()

    def to_dict(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "args": plain_args(self.args)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        return cls(str(data.get("msgid", "")), revive_args(data.get("args") or {}))


def plain_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-ready arguments: a nested Message becomes ``{"msgid": ..., "args": ...}``."""
    return {k: v.to_dict() if isinstance(v, Message) else v for k, v in args.items()}


def revive_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`plain_args` (for a document read back from JSON)."""
    return {k: Message.from_dict(v) if isinstance(v, Mapping) and set(v) == {"msgid", "args"} else v
            for k, v in args.items()}


def verbatim(text: str) -> str:
    """Mark ``text`` as shown as it is on purpose: Kubernetes' own words (``Ready``, a Status
    message, kubectl's output) or a command to type. The unmarked-string check accepts it; a
    reader of the code sees the choice was made."""
    return text
