"""Dify glue for the one-shot text-to-video tool: waits for the video within max_wait (below Dify's 300 s).

Longer jobs: use the submit and query tools, which return at once.
"""

from collections.abc import Generator
from typing import Any

from dify_plugin import Tool
from dify_plugin.entities.tool import ToolInvokeMessage

from job_client import JobClient, load_settings
from tools.deliver import result_messages


class Text2VideoTool(Tool):
    def _invoke(self, tool_parameters: dict[str, Any]) -> Generator[ToolInvokeMessage, None, None]:
        client = JobClient.from_credentials(self.runtime.credentials, load_settings(tool="text2video"))
        yield from result_messages(self, client.generate(tool_parameters), "video")
