"""The chatflow that scripts/package.py writes next to the package is importable and tests this very package.

Strategy: run package.py as a user does (a subprocess into a temporary dist folder), take the identifier it
printed, then read the DSL back with a YAML parser and check the graph and the tool node against the plugin's
own manifest, provider and tool YAML.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

PLUGIN_ROOT = Path(__file__).resolve().parents[1]


def load(relative: str) -> dict:
    return yaml.safe_load((PLUGIN_ROOT / relative).read_text(encoding="utf-8"))


def test_chatflow_matches_the_package_and_the_tool(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "scripts/package.py", "--output-dir", str(tmp_path)],
        cwd=PLUGIN_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    printed = dict(re.findall(r"^(package|identifier|chatflow): (.+)$", result.stdout, re.MULTILINE))
    manifest = load("manifest.yaml")
    chatflow_file = Path(printed["chatflow"])
    assert chatflow_file == tmp_path / f"{manifest['name']}-{manifest['version']}-chatflow.yml"

    dsl = yaml.safe_load(chatflow_file.read_text(encoding="utf-8"))
    assert dsl["kind"] == "app" and dsl["app"]["mode"] == "advanced-chat"
    (dependency,) = dsl["dependencies"]
    assert dependency["value"]["plugin_unique_identifier"] == printed["identifier"]

    nodes = dsl["workflow"]["graph"]["nodes"]
    edges = dsl["workflow"]["graph"]["edges"]
    node_ids = [node["id"] for node in nodes]
    assert len(node_ids) == len(set(node_ids)), "node ids must be unique"
    assert {edge["source"] for edge in edges} | {edge["target"] for edge in edges} <= set(node_ids)
    kinds = {node["id"]: node["data"]["type"] for node in nodes}
    assert sorted(kinds.values()) == ["answer", "start", "tool"]
    assert [(kinds[edge["source"]], kinds[edge["target"]]) for edge in edges] == [("start", "tool"), ("tool", "answer")]

    provider = load(manifest["plugins"]["tools"][0])
    tool = load(provider["tools"][0])
    (tool_node,) = [node["data"] for node in nodes if node["data"]["type"] == "tool"]
    assert tool_node["provider_id"] == f"{manifest['author']}/{manifest['name']}/{provider['identity']['name']}"
    assert tool_node["tool_name"] == tool["identity"]["name"]
    declared = {parameter["name"] for parameter in tool["parameters"]}
    assert set(tool_node["tool_parameters"]) | set(tool_node["tool_configurations"]) == declared
    first_parameter = tool["parameters"][0]["name"]
    assert tool_node["tool_parameters"][first_parameter]["value"] == "{{#sys.query#}}"
    (answer_node,) = [node["data"] for node in nodes if node["data"]["type"] == "answer"]
    tool_id = next(node_id for node_id, kind in kinds.items() if kind == "tool")
    for output in ("text", "files"):
        assert f"{{{{#{tool_id}.{output}#}}}}" in answer_node["answer"]
