"""Scenario and cause models: data only (imports nothing from chaoskit but errors)."""

from chaoskit.scenario.loader import Problem, ScenarioError, load_file
from chaoskit.scenario.model import Scenario, parse_duration

__all__ = ["Problem", "Scenario", "ScenarioError", "load_file", "parse_duration"]
