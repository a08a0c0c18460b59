"""job_client/settings.yaml: loaded by the plugin's own settings module for each tool it describes."""

from __future__ import annotations

import importlib

from .common import JOB_SETTINGS, PROJECT, PluginTree, Report, load_yaml
from .sdk import describe, plugin_runtime


def check_job_settings(tree: PluginTree, report: Report) -> None:
    """The API description the job client reads at every call: loaded for each tool it describes."""
    if not tree.is_packed(JOB_SETTINGS) or not tree.is_packed("job_client/settings.py"):
        return
    raw = load_yaml(tree, JOB_SETTINGS, report, PROJECT)
    if raw is None:
        return
    with plugin_runtime(tree.root):
        try:
            settings_module = importlib.import_module("job_client.settings")
        except Exception as error:  # noqa: BLE001 (any import failure is the finding)
            report.error("job_client/settings.py", f"cannot be imported: {describe(error, tree.root)}", PROJECT)
            return
        for tool in sorted(raw.get("tools") or {}) or [settings_module.BASE_TOOL]:
            try:
                settings_module.load_settings(tree.root / JOB_SETTINGS, tool=tool)
            except (ValueError, TypeError) as error:
                # A SettingsError says it in English and Chinese: one report line holds both.
                english, chinese = getattr(error, "english", str(error)), getattr(error, "chinese", "")
                report.error(JOB_SETTINGS, f"{english} / {chinese}" if chinese else english, PROJECT)
