"""Turn a finished job into Dify messages; shared by every tool (a helper module, so it holds no Tool class)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dify_plugin.entities.tool import ToolInvokeMessage
from dify_plugin.interfaces.tool import ToolLike

if TYPE_CHECKING:
    from job_client import JobResult  # a type only: job_client is imported when a tool first runs


def result_messages(tool: ToolLike, result: JobResult, noun: str) -> Iterator[ToolInvokeMessage]:
    """Files as blobs (bytes as the provider sent them), over-cap results as links, one JSON, one short text."""
    for media in result.files:
        yield tool.create_blob_message(media.data, meta={"mime_type": media.mime_type, "filename": media.filename})
    for link in result.oversized:
        # A link, not an image message: Dify would download an image message's URL into its own storage,
        # which is what the size cap avoids (and fails where there is no conversation).
        yield tool.create_link_message(link.url)
    yield tool.create_json_message(
        {
            "task_id": result.task_id,
            "model": result.model,
            "files": [
                {"filename": m.filename, "mime_type": m.mime_type, "bytes": len(m.data), "url": m.source_url}
                for m in result.files
            ],
            "links": [link.url for link in result.oversized],
            "failures": result.failures,
            "elapsed_seconds": round(result.elapsed, 2),
        }
    )
    count = len(result.files) + len(result.oversized)
    summary = f"Generated {count} {noun}{'' if count == 1 else 's'}"
    summary += f" with {result.model}." if result.model else "."
    if result.oversized:
        summary += " " + " ".join(link.reason for link in result.oversized)
    if result.failures:
        # A partial result: say how many items the provider failed, and why, instead of dropping them silently.
        summary += f" {len(result.failures)} more failed: " + "; ".join(result.failures)
    yield tool.create_text_message(summary)
