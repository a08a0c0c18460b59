"""A ready-to-import Dify chatflow (app DSL) that tests this plugin in one step.

The chatflow is Start -> the plugin's tool (prompt bound to the user's message) -> Answer (text and files),
and names the package's unique identifier as its dependency, so importing it after installing the .difypkg
gives a working app. Written next to the package by scripts/package.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

START_ID = "1700000000001"
TOOL_ID = "1700000000002"
ANSWER_ID = "answer"
DSL_VERSION = "0.3.0"


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def _edge(source: str, source_type: str, target: str, target_type: str) -> dict[str, Any]:
    return {
        "id": f"{source}-source-{target}-target",
        "source": source,
        "sourceHandle": "source",
        "target": target,
        "targetHandle": "target",
        "type": "custom",
        "zIndex": 0,
        "data": {"isInIteration": False, "isInLoop": False, "sourceType": source_type, "targetType": target_type},
    }


def _node(node_id: str, x: int, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "custom",
        "data": data,
        "position": {"x": x, "y": 282},
        "positionAbsolute": {"x": x, "y": 282},
        "sourcePosition": "right",
        "targetPosition": "left",
        "width": 244,
        "height": 120,
        "selected": False,
    }


def build_chatflow(plugin_dir: Path, identifier: str) -> dict[str, Any]:
    """The chatflow DSL as a mapping, for the plugin in plugin_dir packaged as `identifier`."""
    manifest = _load(plugin_dir / "manifest.yaml")
    provider = _load(plugin_dir / manifest["plugins"]["tools"][0])
    tool = _load(plugin_dir / provider["tools"][0])
    provider_id = f"{manifest['author']}/{manifest['name']}/{provider['identity']['name']}"
    tool_name = tool["identity"]["name"]

    # Form parameters are fixed per node (their defaults); LLM parameters are filled per run.
    configurations: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    query_bound = False
    for parameter in tool["parameters"]:
        name = parameter["name"]
        if parameter["form"] == "llm" and parameter["type"] == "string" and not query_bound:
            # The user's message fills the first text the model would fill: the prompt.
            parameters[name] = {"type": "mixed", "value": "{{#sys.query#}}"}
            query_bound = True
        elif parameter["form"] == "llm":
            parameters[name] = {"type": "mixed", "value": ""}
        else:
            configurations[name] = {"type": "constant", "value": parameter.get("default")}

    tool_node = {
        "type": "tool",
        "title": tool["identity"]["label"]["en_US"],
        "desc": "",
        "selected": False,
        "provider_id": provider_id,
        "provider_name": provider_id,
        "provider_type": "builtin",
        "is_team_authorization": True,
        "tool_name": tool_name,
        "tool_label": tool["identity"]["label"]["en_US"],
        "tool_description": tool["description"]["llm"],
        "tool_configurations": configurations,
        "tool_parameters": parameters,
        "paramSchemas": tool["parameters"],
        "params": {parameter["name"]: "" for parameter in tool["parameters"]},
        "output_schema": None,
        "version": "2",
    }
    start_node = {"type": "start", "title": "Start", "desc": "", "selected": False, "variables": []}
    answer_node = {
        "type": "answer",
        "title": "Answer",
        "desc": "",
        "selected": False,
        "variables": [],
        "answer": f"{{{{#{TOOL_ID}.text#}}}}\n{{{{#{TOOL_ID}.files#}}}}\n",
    }
    return {
        "app": {
            "name": f"{manifest['label']['en_US']} - test chatflow",
            "description": f"Type a prompt; {manifest['name']} answers with the generated images.",
            "icon": "🎨",
            "icon_background": "#E0F2FE",
            "mode": "advanced-chat",
            "use_icon_as_answer_icon": False,
        },
        "dependencies": [
            {"current_identifier": None, "type": "package", "value": {"plugin_unique_identifier": identifier}}
        ],
        "kind": "app",
        "version": DSL_VERSION,
        "workflow": {
            "conversation_variables": [],
            "environment_variables": [],
            "features": {
                "file_upload": {"enabled": False},
                "opening_statement": "",
                "retriever_resource": {"enabled": False},
                "sensitive_word_avoidance": {"enabled": False},
                "speech_to_text": {"enabled": False},
                "suggested_questions": [],
                "suggested_questions_after_answer": {"enabled": False},
                "text_to_speech": {"enabled": False, "language": "", "voice": ""},
            },
            "graph": {
                "nodes": [
                    _node(START_ID, 80, start_node),
                    _node(TOOL_ID, 384, tool_node),
                    _node(ANSWER_ID, 740, answer_node),
                ],
                "edges": [_edge(START_ID, "start", TOOL_ID, "tool"), _edge(TOOL_ID, "tool", ANSWER_ID, "answer")],
                "viewport": {"x": 0, "y": 0, "zoom": 1},
            },
        },
    }


def declares_tool(plugin_dir: Path) -> bool:
    """True when the manifest names a tool provider, the only kind of plugin a chatflow can call."""
    plugins = _load(plugin_dir / "manifest.yaml").get("plugins") or {}
    return bool(plugins.get("tools"))


def write_chatflow(plugin_dir: Path, identifier: str, output: Path) -> Path | None:
    """Write the chatflow DSL to output (YAML, as Dify exports it) and return the path.

    Returns None, writing nothing, when the manifest declares no tool provider.
    """
    if not declares_tool(plugin_dir):
        return None
    output.parent.mkdir(parents=True, exist_ok=True)
    dsl = build_chatflow(plugin_dir, identifier)
    output.write_text(yaml.safe_dump(dsl, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return output
