"""Dify glue for the image-to-video tool: an input image and a prompt in, a video out within max_wait."""

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


class Image2VideoTool(Tool):
    def _invoke(self, tool_parameters: dict[str, Any]) -> Generator[ToolInvokeMessage, None, None]:
        # imported on first use: the daemon waits for start-up, and only invocations need job_client
        from job_client import JobClient, load_settings
        from job_client.inputs import image_for_provider
        from job_client.parameters import FileLimits, check_tool_inputs, tool_declarations

        settings = load_settings(tool="image2video")
        # Dify passes a File: its type and size are checked here, its bytes once read.
        limits = FileLimits.for_images(settings.image_input)
        parameters = check_tool_inputs(tool_declarations(TOOL_YAML), tool_parameters, settings, files=limits)
        # The File's URL points at Dify's own file service.
        sent_image = image_for_provider(parameters["image"].url, settings.image_input, settings.request_timeout)
        client = JobClient.from_credentials(self.runtime.credentials, settings)
        with model_check(self.runtime.credentials, settings, parameters):
            result = client.generate({**parameters, "image": sent_image})
        yield from result_messages(self, result, "video")

    def _fetch_parameter_options(self, parameter: str) -> list[ParameterOption]:
        # imported on first use: the daemon waits for start-up, and only invocations need job_client
        from job_client import load_settings

        return model_options(self.runtime.credentials, parameter, load_settings(tool="image2video"))
