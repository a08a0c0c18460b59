"""Per-provider contract drivers; the harness runs every (driver, tool, scenario) in these tables.

DRIVERS: one per preset file (presets/<name>.yml) with a contract, checked against its rendered plugin.
"""

from __future__ import annotations

from types import ModuleType

from contracts.providers import (
    bfl,
    dashscope,
    fal,
    kling,
    modelscope,
    openai_compatible,
    replicate,
    siliconflow,
    volcengine_ark,
    zhipu,
)

DRIVERS: dict[str, ModuleType] = {
    driver.PRESET: driver
    for driver in (
        modelscope,
        dashscope,
        openai_compatible,
        siliconflow,
        volcengine_ark,
        zhipu,
        replicate,
        fal,
        bfl,
        kling,
    )
}
