"""Dify glue for the text-to-image tool: parameters in, messages out. The work is in job_client."""

from collections.abc import Generator
from typing import Any

from dify_plugin import Tool
from dify_plugin.entities.tool import ToolInvokeMessage

from job_client import JobClient, load_settings
from tools.deliver import result_messages


class Text2ImageTool(Tool):
    def _invoke(self, tool_parameters: dict[str, Any]) -> Generator[ToolInvokeMessage, None, None]:
        client = JobClient.from_credentials(self.runtime.credentials, load_settings())
        # Failures raise a PluginError, so Dify marks the node failed and its retry / fail branch apply.
        result = client.generate(tool_parameters)
        yield from result_messages(self, result, "image")
