"""Runbooks: Markdown with YAML front matter, derived from the seed documents."""

from chaoskit.runbook.model import Runbook, RunbookError, load_runbooks

__all__ = ["Runbook", "RunbookError", "load_runbooks"]
