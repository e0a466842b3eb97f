"""Message catalogues for everything a trainee reads (gettext, compiled with Babel).

Strings are marked with :func:`_` where they are used (``_("no session yet")``) or with
:func:`N_` where they are defined before a language is chosen; Babel extracts them into
``chaoskit/locale/chaoskit.pot`` and compiles ``chaoskit/locale/<lang>/LC_MESSAGES/chaoskit.mo``.
The language comes from ``--lang``, else ``CHAOSKIT_LANG``, else the locale (``LANGUAGE``,
``LC_ALL``, ``LC_MESSAGES``, ``LANG``); English is the source language and the fallback.
Kubernetes' own words (API messages, kubectl output) are never translated: a trainee must
recognise them in a real cluster.
"""

from __future__ import annotations

import gettext
import os
from functools import lru_cache
from importlib import resources

DOMAIN = "chaoskit"
SOURCE_LANGUAGE = "en"
_active: list[str] = []


def locale_dir() -> str:
    return str(resources.files("chaoskit") / "locale")


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


@lru_cache(maxsize=8)
def _translation(languages: tuple[str, ...]) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, locale_dir(), languages=list(languages) or [SOURCE_LANGUAGE],
                               fallback=True)


def use(language: str | None) -> None:
    """Choose the language for this process (``None``: back to the environment's)."""
    _active.clear()
    if language:
        _active.append(language)


def language() -> str:
    """The language messages are shown in: the first requested one that has a catalogue."""
    for code in requested():
        for candidate in (code, code.split("_")[0]):
            if candidate == SOURCE_LANGUAGE or gettext.find(DOMAIN, locale_dir(), [candidate]):
                return candidate
    return SOURCE_LANGUAGE


def _(message: str) -> str:
    """``message`` in the chosen language (itself when no catalogue has it)."""
    return _translation(tuple(requested())).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation(tuple(requested())).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it yet (translated where it is shown)."""
    return message
