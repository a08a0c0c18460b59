"""Dify glue for the text-to-image tool: parameters in, messages out. The work is in job_client."""

from collections.abc import Generator
from pathlib import Path
from typing import Any

from dify_plugin import Tool
from dify_plugin.entities import ParameterOption
from dify_plugin.entities.tool import ToolInvokeMessage

from tools.deliver import result_messages
from tools.model_menu import model_check, model_options

# The tool's own declarations (what Dify's form shows): every input is checked against them before any request.
TOOL_YAML = Path(__file__).with_suffix(".yaml")


class Text2ImageTool(Tool):
    def _invoke(self, tool_parameters: dict[str, Any]) -> Generator[ToolInvokeMessage, None, None]:
        # imported on first use: the daemon waits for start-up, and only invocations need job_client
        from job_client import JobClient, load_settings
        from job_client.parameters import check_tool_inputs, tool_declarations

        settings = load_settings()
        parameters = check_tool_inputs(tool_declarations(TOOL_YAML), tool_parameters, settings)
        client = JobClient.from_credentials(self.runtime.credentials, settings)
        # Failures raise a PluginError, so Dify marks the node failed and its retry / fail branch apply.
        with model_check(self.runtime.credentials, settings, parameters):
            result = client.generate(parameters)
        yield from result_messages(self, result, "image")

    def _fetch_parameter_options(self, parameter: str) -> list[ParameterOption]:
        # imported on first use: the daemon waits for start-up, and only invocations need job_client
        from job_client import load_settings

        return model_options(self.runtime.credentials, parameter, load_settings())
