"""Dify glue for the video submit tool: starts a video task and returns its id at once."""

from collections.abc import Generator
from pathlib import Path
from typing import Any

from dify_plugin import Tool
from dify_plugin.entities import ParameterOption
from dify_plugin.entities.tool import ToolInvokeMessage

from tools.model_menu import model_check, model_options

# The tool's own declarations (what Dify's form shows): every input is checked against them before any request.
TOOL_YAML = Path(__file__).with_suffix(".yaml")


class VideoSubmitTool(Tool):
    def _invoke(self, tool_parameters: dict[str, Any]) -> Generator[ToolInvokeMessage, None, None]:
        # imported on first use: the daemon waits for start-up, and only invocations need job_client
        from job_client import JobClient, load_settings
        from job_client.parameters import check_tool_inputs, tool_declarations

        settings = load_settings(tool="text2video")
        parameters = check_tool_inputs(tool_declarations(TOOL_YAML), tool_parameters, settings)
        client = JobClient.from_credentials(self.runtime.credentials, settings)
        with model_check(self.runtime.credentials, settings, parameters):
            task_id, model = client.submit_job(parameters)
        yield self.create_variable_message("task_id", task_id)
        yield self.create_json_message({"task_id": task_id, "model": model, "status": "submitted"})
        yield self.create_text_message(f"Video task {task_id} submitted; pass its id to the video query tool.")

    def _fetch_parameter_options(self, parameter: str) -> list[ParameterOption]:
        # imported on first use: the daemon waits for start-up, and only invocations need job_client
        from job_client import load_settings

        return model_options(self.runtime.credentials, parameter, load_settings(tool="text2video"))
