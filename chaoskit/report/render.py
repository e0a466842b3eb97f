"""One report document, several formats. The JSON shape is the document itself (see README).

The document is English (``grade.json`` is read by scripts); the formats for people (text,
Markdown, HTML, the JUnit failure message) are rendered in the current language: headings are
msgids in the templates, and a grade item's label and detail are translated from the msgids and
values the document keeps beside the English text (``text``, ``notes_text``). A document written
before those existed is shown with its English words looked up as msgids."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from rich.console import Console
from rich.markdown import Markdown

from chaoskit.errors import ConfigError
from chaoskit.i18n import N_, Message, _, language, ngettext, revive_args

FORMATS = ("text", "md", "html", "json", "junit")
_ENV = Environment(loader=PackageLoader("chaoskit.report", "templates"), undefined=StrictUndefined,
                   autoescape=select_autoescape(["html", "xml"]), trim_blocks=True, lstrip_blocks=True)

# What the session layer writes in a timeline's ``what`` and a finish ``reason``: shown translated.
TIMELINE_WORDS = (N_("fault injected"), N_("alert"), N_("first relevant look"), N_("diagnosis"), N_("fix"),
                  N_("recovered"))


def _clock(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    s = int(abs(seconds))
    return f"{sign}{s // 60}:{s % 60:02d}"


def _shown(item: Mapping[str, Any], key: str) -> str:
    """An item's label or detail in the current language."""
    text = item.get("text")
    if isinstance(text, Mapping) and key in text:
        template = str(text[key])
        return Message(template, revive_args(text.get("args") or {})).translated() if template else ""
    return _(str(item.get(key) or ""))


def _notes(doc: Mapping[str, Any]) -> list[str]:
    kept = doc.get("notes_text")
    if isinstance(kept, list):
        return [Message.from_dict(n).translated() for n in kept]
    return [_(str(n)) for n in doc.get("notes") or ()]


_ENV.filters["clock"] = _clock
_ENV.globals.update(_=_, ngettext=ngettext, label=lambda item: _shown(item, "label"),
                    detail=lambda item: _shown(item, "detail"), notes=_notes,
                    code=lambda text: Markup("<code>{}</code>").format(text))


def svg_timeline(marks: list[dict[str, Any]], width: int = 760) -> dict[str, Any]:
    """Positions for the HTML timeline: one tick per mark along the session's span."""
    end = max([m["at"] for m in marks] + [1.0])
    start = min([m["at"] for m in marks] + [0.0])
    span = end - start or 1.0
    points = [{**m, "x": round(40 + (m["at"] - start) / span * (width - 80), 1), "y": 70 + (i % 4) * 16}
              for i, m in enumerate(marks)]
    return {"width": width, "height": 150, "points": points}


def _terminal(markdown: str) -> str:
    """The Markdown report laid out by rich for a terminal (plain text, no colour codes)."""
    console = Console(width=100, file=io.StringIO(), color_system=None, record=True)
    console.print(Markdown(markdown))
    return console.export_text()


def render(doc: dict[str, Any], fmt: str) -> str:
    if fmt not in FORMATS:
        raise ConfigError(_("unknown report format {format!r}; choose one of {formats}").format(
            format=fmt, formats=", ".join(FORMATS)))
    if fmt == "json":
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if fmt == "text":
        return _terminal(_ENV.get_template("report.md.j2").render(r=doc, svg=None, lang=language()))
    template = { "md": "report.md.j2", "html": "report.html.j2",
                "junit": "report.junit.xml.j2"}[fmt]
    return _ENV.get_template(template).render(r=doc, svg=svg_timeline(doc["timeline"]), lang=language())
