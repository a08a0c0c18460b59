"""Per-provider contract drivers; the harness runs every (driver, tool, scenario) in these tables.

DRIVERS: today's presets, checked against their rendered plugins. PROPOSED: providers the lead will add as
preset files; each driver carries SUGGESTED_PRESET (settings.yaml vocabulary) and is checked by running a
rendering whose settings.yaml is replaced by it.
"""

from __future__ import annotations

from types import ModuleType

from contracts.providers import bfl, dashscope, fal, modelscope, openai_compatible, replicate, volcengine_ark, zhipu

DRIVERS: dict[str, ModuleType] = {driver.PRESET: driver for driver in (modelscope, dashscope, openai_compatible)}
PROPOSED: dict[str, ModuleType] = {driver.PRESET: driver for driver in (volcengine_ark, zhipu, replicate, fal, bfl)}
