"""One report document, several formats. The JSON shape is the document itself (see README)."""

from __future__ import annotations

import io
import json
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from rich.console import Console
from rich.markdown import Markdown

from chaoskit.errors import ConfigError

FORMATS = ("text", "md", "html", "json", "junit")
_ENV = Environment(loader=PackageLoader("chaoskit.report", "templates"), undefined=StrictUndefined,
                   autoescape=select_autoescape(["html", "xml"]), trim_blocks=True, lstrip_blocks=True)


def _clock(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    s = int(abs(seconds))
    return f"{sign}{s // 60}:{s % 60:02d}"


_ENV.filters["clock"] = _clock


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
        raise ConfigError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "json":
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if fmt == "text":
        return _terminal(_ENV.get_template("report.md.j2").render(r=doc, svg=None))
    template = { "md": "report.md.j2", "html": "report.html.j2",
                "junit": "report.junit.xml.j2"}[fmt]
    return _ENV.get_template(template).render(r=doc, svg=svg_timeline(doc["timeline"]))
