"""Dify glue for the video query tool: one status request; the video once the task is done."""

from collections.abc import Generator
from typing import Any

from dify_plugin import Tool
from dify_plugin.entities.tool import ToolInvokeMessage

from job_client import JobClient, load_settings
from tools.deliver import result_messages


class VideoQueryTool(Tool):
    def _invoke(self, tool_parameters: dict[str, Any]) -> Generator[ToolInvokeMessage, None, None]:
        client = JobClient.from_credentials(self.runtime.credentials, load_settings(tool="text2video"))
        # A failed task raises (the node fails); a running one is a normal answer, so a loop can query again.
        progress = client.check_task(str(tool_parameters.get("task_id") or ""))
        if progress.result is not None:
            yield from result_messages(self, progress.result, "video")
            return
        yield self.create_variable_message("status", progress.status)
        yield self.create_json_message({"task_id": progress.task_id, "status": progress.status, "done": False})
        yield self.create_text_message(f"Video task {progress.task_id} is {progress.status}; query it again later.")
