"""Dify glue for the video query tool: one status request; the video once the task is done."""

from collections.abc import Generator
from pathlib import Path
from typing import Any

from dify_plugin import Tool
from dify_plugin.entities.tool import ToolInvokeMessage

from tools.deliver import result_messages

# The tool's own declarations (what Dify's form shows): every input is checked against them before any request.
TOOL_YAML = Path(__file__).with_suffix(".yaml")


class VideoQueryTool(Tool):
    def _invoke(self, tool_parameters: dict[str, Any]) -> Generator[ToolInvokeMessage, None, None]:
        # imported on first use: the daemon waits for start-up, and only invocations need job_client
        from job_client import JobClient, load_settings
        from job_client.parameters import check_inputs, tool_declarations

        parameters = check_inputs(tool_declarations(TOOL_YAML), tool_parameters)
        client = JobClient.from_credentials(self.runtime.credentials, load_settings(tool="text2video"))
        # A failed task raises (the node fails); a running one is a normal answer, so a loop can query again.
        progress = client.check_task(str(parameters.get("task_id") or ""))
        if progress.result is not None:
            yield from result_messages(self, progress.result, "video")
            return
        yield self.create_variable_message("status", progress.status)
        yield self.create_json_message({"task_id": progress.task_id, "status": progress.status, "done": False})
        yield self.create_text_message(f"Video task {progress.task_id} is {progress.status}; query it again later.")
