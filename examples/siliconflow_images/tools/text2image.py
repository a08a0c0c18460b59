"""Dify glue for the text-to-image tool: parameters in, messages out. The work is in job_client."""

from collections.abc import Generator
from pathlib import Path
from typing import Any

from dify_plugin import Tool
from dify_plugin.entities.tool import ToolInvokeMessage

from job_client import JobClient, load_settings
from job_client.parameters import check_inputs, tool_declarations
from tools.deliver import result_messages

# The tool's own declarations (what Dify's form shows): every input is checked against them before any request.
TOOL_YAML = Path(__file__).with_suffix(".yaml")


class Text2ImageTool(Tool):
    def _invoke(self, tool_parameters: dict[str, Any]) -> Generator[ToolInvokeMessage, None, None]:
        parameters = check_inputs(tool_declarations(TOOL_YAML), tool_parameters)
        client = JobClient.from_credentials(self.runtime.credentials, load_settings())
        # Failures raise a PluginError, so Dify marks the node failed and its retry / fail branch apply.
        result = client.generate(parameters)
        yield from result_messages(self, result, "image")
