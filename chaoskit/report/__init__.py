"""Session reports rendered from one JSON document (``grade.json``) with jinja2 templates:
Markdown, self-contained HTML with an inline SVG timeline, JUnit XML, JSON, and the terminal."""

from chaoskit.report.render import FORMATS, render

__all__ = ["FORMATS", "render"]
