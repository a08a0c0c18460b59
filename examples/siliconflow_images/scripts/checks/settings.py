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
    tools = sorted(raw.get("tools") or {}) or ["text2image"]
    with plugin_runtime(tree.root):
        try:
            settings_module = importlib.import_module("job_client.settings")
        except Exception as error:  # noqa: BLE001 (any import failure is the finding)
            report.error("job_client/settings.py", f"cannot be imported: {describe(error, tree.root)}", PROJECT)
            return
        for tool in tools:
            try:
                settings_module.load_settings(tree.root / JOB_SETTINGS, tool=tool)
            except (ValueError, TypeError) as error:
                report.error(JOB_SETTINGS, str(error), PROJECT)
