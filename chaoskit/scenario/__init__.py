"""Scenario and cause models: data only, the bottom layer (imports nothing from chaoskit but errors)."""

from chaoskit.scenario.loader import Problem, ScenarioError, load_file, load_scenarios
from chaoskit.scenario.model import Scenario, parse_duration

__all__ = ["Problem", "Scenario", "ScenarioError", "load_file", "load_scenarios", "parse_duration"]
