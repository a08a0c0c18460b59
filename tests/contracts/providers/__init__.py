"""Per-provider contract drivers; the harness runs every (driver, tool, scenario) in these tables.

DRIVERS: one per preset file (presets/<name>.yml) with a contract, checked against its rendered plugin.
"""

from __future__ import annotations

from types import ModuleType

from contracts.providers import (
    bfl,
    dashscope,
    fal,
    google,
    kling,
    luma,
    minimax,
    modelscope,
    openai_compatible,
    replicate,
    runway,
    siliconflow,
    together,
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
        together,
        volcengine_ark,
        zhipu,
        replicate,
        fal,
        bfl,
        luma,
        minimax,
        runway,
        google,
        kling,
    )
}
