"""Dify glue for the image-edit tool: an input image and a prompt in, edited images out."""

from collections.abc import Generator
from typing import Any

from dify_plugin import Tool
from dify_plugin.entities.tool import ToolInvokeMessage

from job_client import JobClient, PluginError, load_settings
from job_client.inputs import image_for_provider
from tools.deliver import result_messages


class ImageEditTool(Tool):
    def _invoke(self, tool_parameters: dict[str, Any]) -> Generator[ToolInvokeMessage, None, None]:
        settings = load_settings(tool="image_edit")
        image = tool_parameters.get("image")
        url = getattr(image, "url", None)  # Dify passes a File; its URL points at Dify's own file service
        if not url:
            raise PluginError("Add an input image to edit.", "请提供要编辑的输入图片。")
        if getattr(image, "mime_type", None) and not str(image.mime_type).startswith("image/"):
            raise PluginError(
                f"The input file is {image.mime_type}, not an image.", f"输入文件类型为 {image.mime_type}，不是图片。"
            )
        sent_image = image_for_provider(url, settings.image_input, settings.request_timeout)
        parameters = {**tool_parameters, "image": sent_image}
        client = JobClient.from_credentials(self.runtime.credentials, settings)
        yield from result_messages(self, client.generate(parameters), "image")
