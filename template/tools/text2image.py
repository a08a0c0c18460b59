"""Dify glue for the text-to-image tool: parameters in, messages out. The work is in job_client."""

from collections.abc import Generator
from typing import Any

from dify_plugin import Tool
from dify_plugin.entities.tool import ToolInvokeMessage

from job_client import JobClient, load_settings


class Text2ImageTool(Tool):
    def _invoke(self, tool_parameters: dict[str, Any]) -> Generator[ToolInvokeMessage, None, None]:
        credentials = self.runtime.credentials
        client = JobClient(load_settings(), credentials.get("api_key", ""), credentials.get("base_url"))
        # Failures raise a PluginError, so Dify marks the node failed and its retry / fail branch apply.
        result = client.generate(tool_parameters)
        for media in result.files:
            yield self.create_blob_message(media.data, meta={"mime_type": media.mime_type, "filename": media.filename})
        for link in result.oversized:
            # A link, not an image message: Dify would download an image message's URL into its own storage,
            # which is what the size cap avoids (and fails where there is no conversation).
            yield self.create_link_message(link.url)
        yield self.create_json_message(
            {
                "task_id": result.task_id,
                "model": result.model,
                "files": [
                    {"filename": m.filename, "mime_type": m.mime_type, "bytes": len(m.data), "url": m.source_url}
                    for m in result.files
                ],
                "links": [link.url for link in result.oversized],
                "elapsed_seconds": round(result.elapsed, 2),
            }
        )
        summary = f"Generated {len(result.files) + len(result.oversized)} image(s) with {result.model}."
        if result.oversized:
            summary += " " + " ".join(link.reason for link in result.oversized)
        yield self.create_text_message(summary)
