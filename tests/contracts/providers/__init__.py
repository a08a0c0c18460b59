"""Per-provider contract drivers; the harness runs every (driver, tool, scenario) in this table."""

from __future__ import annotations

from types import ModuleType

from contracts.providers import dashscope, modelscope, openai_compatible

DRIVERS: dict[str, ModuleType] = {driver.PRESET: driver for driver in (modelscope, dashscope, openai_compatible)}
