"""What the tests need to know about this rendering, read from the plugin's own files so any preset passes.

Tests adapt to the settings (async or sync, URL or base64 results) and to the tool's parameters; cases that
cannot apply to this rendering are skipped with a reason instead of silently passing.
"""

from __future__ import annotations

import importlib
import inspect
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_provider import FakeProvider

from job_client.settings import Settings, load_settings

PLUGIN_ROOT = Path(__file__).resolve().parents[1]
SETTINGS: Settings = load_settings()
IS_ASYNC = SETTINGS.mode == "async"
URL_RESULTS = SETTINGS.result.kind == "url"
PROMPT = "A red fox in fresh snow, golden hour"
# The start_fake fixture: start_fake(job_seconds=1, outcome="failed") or start_fake(Scenario(...), settings=...).
StartFake = Callable[..., FakeProvider]


def _yaml(relative: str) -> Any:
    with (PLUGIN_ROOT / relative).open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


MANIFEST = _yaml("manifest.yaml")
PROVIDER_YAML = _yaml(MANIFEST["plugins"]["tools"][0])
TOOL_YAML = _yaml(PROVIDER_YAML["tools"][0])
PROVIDER_NAME: str = PROVIDER_YAML["identity"]["name"]
TOOL_NAME: str = TOOL_YAML["identity"]["name"]
TOOL_PARAMETERS: dict[str, dict[str, Any]] = {parameter["name"]: parameter for parameter in TOOL_YAML["parameters"]}

requires_async = pytest.mark.skipif(not IS_ASYNC, reason="synchronous API: there is no task id or status request")
requires_url_results = pytest.mark.skipif(not URL_RESULTS, reason="base64 results: there is no result URL")


def requires_tool_parameter(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(name not in TOOL_PARAMETERS, reason=f"this rendering's tool has no '{name}' parameter")


def requires_body_field(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        name not in SETTINGS.submit.body_fields, reason=f"settings.yaml sends no '{name}' (submit.body_fields)"
    )


def dify_parameters(**overrides: Any) -> dict[str, Any]:
    """Tool parameters as Dify sends them: form defaults filled in, numbers as floats, plus the prompt."""
    parameters: dict[str, Any] = {"prompt": PROMPT}
    for name, parameter in TOOL_PARAMETERS.items():
        default = parameter.get("default")
        if name != "prompt" and default is not None:
            parameters[name] = float(default) if parameter["type"] == "number" else default
    parameters.update(overrides)
    return parameters


def provider_class() -> type:
    """The rendering's ToolProvider subclass, found from provider/<name>.yaml like the SDK does."""
    from dify_plugin import ToolProvider

    source = PROVIDER_YAML["extra"]["python"]["source"]
    module = importlib.import_module(source.removesuffix(".py").replace("/", "."))
    classes = [cls for _, cls in inspect.getmembers(module, inspect.isclass) if cls.__module__ == module.__name__]
    return next(cls for cls in classes if issubclass(cls, ToolProvider))


def closed_port_url() -> str:
    """A loopback URL where nothing listens, so connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
