"""A faithful re-implementation of the seed plugin's text2image loop (the article's ``text2image.py``).

What the seed does, and what is kept here: submit with ``requests.post`` (no session), then up to 60 times
``time.sleep(5)`` *before* each status request, and on ``SUCCEED`` download the first image with
``requests.get`` and re-encode it with Pillow: ``Image.open(BytesIO(content)).save(buf, format='PNG')``.
Deviations, none of which changes the timing: the base URL and the sleep are parameters (the fake provider runs
on 127.0.0.1; ``--quick`` scales the 5 s), status and image requests get a timeout so that no loop can hang,
and the Dify messages are left out (the PNG bytes that would go into ``create_blob_message`` are returned).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import requests
import yaml
from PIL import Image

SEED_INTERVAL = 5.0  # time.sleep(5) before every status request
SEED_MAX_POLLS = 60  # max_retries = 60
SAFETY_TIMEOUT = 30.0  # not in the seed's status/image requests; added so a broken fake cannot hang a run


@dataclass
class SeedResult:
    """What the seed's loop ends with: the PNG blob (or a message), the task id and how long it took."""

    task_id: str | None
    status: str  # SUCCEED, FAILED, timeout, error
    blob: bytes | None = None
    elapsed: float = 0.0
    status_requests: int = 0
    messages: list[str] = field(default_factory=list)


def seed_reencode(content: bytes) -> bytes:
    """The seed's delivery step on bytes already downloaded: decode with Pillow, re-encode as PNG."""
    image = Image.open(BytesIO(content))
    img_byte_arr = BytesIO()
    image.save(img_byte_arr, format="PNG")
    return img_byte_arr.getvalue()


def seed_download(image_url: str) -> bytes:
    """The seed's download: one plain ``requests.get`` of the result URL, the whole body in memory."""
    image_response = requests.get(image_url, timeout=SAFETY_TIMEOUT)
    image_response.raise_for_status()
    return image_response.content


def seed_deliver(image_url: str) -> bytes:
    """Download the result and re-encode it to PNG, exactly as the seed does before ``create_blob_message``."""
    return seed_reencode(seed_download(image_url))


def seed_generate(
    base_url: str,
    api_key: str,
    prompt: str,
    model: str = "Qwen/Qwen-Image",
    *,
    interval: float = SEED_INTERVAL,
    max_polls: int = SEED_MAX_POLLS,
    sleep: Callable[[float], None] = time.sleep,
) -> SeedResult:
    """Run the seed's submit / fixed-interval poll / download + re-encode loop; ``base_url`` ends with ``/``."""
    started = time.monotonic()
    common_headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    request_data = {"model": model, "prompt": prompt, "n": 1, "size": "1024x1024"}
    response = requests.post(
        f"{base_url}v1/images/generations",
        headers={**common_headers, "X-ModelScope-Async-Mode": "true"},
        json=request_data,
        timeout=30,
    )
    response.raise_for_status()
    task_id = response.json().get("task_id")
    result = SeedResult(task_id=task_id, status="error")
    if not task_id:
        result.messages.append("创建任务失败,未获取到任务ID")
        result.elapsed = time.monotonic() - started
        return result
    retry_count = 0
    while retry_count < max_polls:
        sleep(interval)
        status_response = requests.get(
            f"{base_url}v1/tasks/{task_id}",
            headers={**common_headers, "X-ModelScope-Task-Type": "image_generation"},
            timeout=SAFETY_TIMEOUT,
        )
        result.status_requests += 1
        status_response.raise_for_status()
        data = status_response.json()
        task_status = data["task_status"]
        if task_status == "SUCCEED":
            output_images = data.get("output_images", [])
            result.status = task_status
            if output_images:
                result.blob = seed_deliver(output_images[0])
            else:
                result.messages.append("生成成功但未找到图像数据")
            break
        if task_status == "FAILED":
            result.status = task_status
            result.messages.append(data.get("error", {}).get("message", "未知错误"))
            break
        result.messages.append(f"图像正在生成中,已等待 {(retry_count + 1) * interval:g} 秒...")
        retry_count += 1
    else:
        result.status = "timeout"
    result.elapsed = time.monotonic() - started
    return result


# ── the seed as a runnable plugin, for the start-up comparison (benchmarks/load.py) ─────────────────────────
SEED_MAIN = """from dify_plugin import DifyPluginEnv, Plugin

plugin = Plugin(DifyPluginEnv(MAX_REQUEST_TIMEOUT=300))

if __name__ == "__main__":
    plugin.run()
"""
SEED_PROVIDER = """from typing import Any

from dify_plugin import ToolProvider
from dify_plugin.errors.tool import ToolProviderCredentialValidationError

from tools.text2image import Text2ImageTool  # noqa: F401 (the seed imports its tool here)


class ModelScopeProvider(ToolProvider):
    def _validate_credentials(self, credentials: dict[str, Any]) -> None:
        api_key = credentials.get("api_key")
        if not api_key or not api_key.startswith("ms-"):
            raise ToolProviderCredentialValidationError("Invalid ModelScope API key format. Should start with 'ms-'")
"""
# The seed's module-level imports (requests, time, json, PIL.Image, BytesIO, dify_plugin), then its loop.
SEED_TOOL = """import json  # noqa: F401
import time  # noqa: F401
from collections.abc import Generator
from io import BytesIO  # noqa: F401

import requests  # noqa: F401
from dify_plugin import Tool
from dify_plugin.entities.tool import ToolInvokeMessage
from PIL import Image  # noqa: F401

from seed_plugin import seed_generate


class Text2ImageTool(Tool):
    def _invoke(self, tool_parameters: dict) -> Generator[ToolInvokeMessage, None, None]:
        base_url = self.runtime.credentials.get("base_url") or "https://api-inference.modelscope.cn/"
        result = seed_generate(
            base_url.rstrip("/") + "/", self.runtime.credentials["api_key"], tool_parameters.get("prompt", "")
        )
        for message in result.messages:
            yield self.create_text_message(message)
        if result.blob is not None:
            yield self.create_blob_message(blob=result.blob, meta={"mime_type": "image/png"})
"""


def write_seed_plugin(directory: Path, icon: bytes) -> Path:
    """The seed plugin's files (manifest, main.py, provider, tool) as the article lays them out, in ``directory``.

    Only what the SDK needs to start it changed: ``zh_Hans`` labels instead of ``zh_CN``, an ``_assets/`` folder
    (start-up crashes without one), the runner fields the SDK requires. The tool module imports what the seed's
    does and runs ``seed_generate``, so ``benchmarks/`` must be on the plugin's PYTHONPATH.
    """
    label = {"en_US": "Qwen Text2Image", "zh_Hans": "Qwen文生图"}
    manifest = {
        "version": "0.0.1",
        "type": "plugin",
        "author": "your_name",
        "name": "qwen_text2image",
        "label": label,
        "description": {"en_US": "AI text-to-image generation plugin powered by ModelScope Qwen-Image"},
        "icon": "icon.svg",
        "resource": {"memory": 1048576, "permission": {"tool": {"enabled": True}}},
        "plugins": {"tools": ["provider/modelscope.yaml"]},
        "meta": {
            "version": "0.0.1",
            "arch": ["amd64", "arm64"],
            "runner": {"language": "python", "version": "3.12", "entrypoint": "main"},
        },
        "created_at": "2025-08-01T00:00:00Z",
        "tags": ["image"],
    }
    provider = {
        "identity": {
            "author": "your_name",
            "name": "modelscope",
            "label": {"en_US": "ModelScope"},
            "description": {"en_US": "ModelScope AI image generation service integration"},
            "icon": "icon.svg",
            "tags": ["image"],
        },
        "credentials_for_provider": {
            "api_key": {"type": "secret-input", "required": True, "label": {"en_US": "ModelScope API Key"}}
        },
        "tools": ["tools/text2image.yaml"],
        "extra": {"python": {"source": "provider/modelscope_provider.py"}},
    }
    tool = {
        "identity": {"name": "text2image", "author": "your_name", "label": {"en_US": "Text to Image"}},
        "description": {"human": {"en_US": "Generate images from text prompts"}, "llm": "Generates an image"},
        "parameters": [
            {
                "name": "prompt",
                "type": "string",
                "required": True,
                "form": "llm",
                "label": {"en_US": "Prompt"},
                "human_description": {"en_US": "The text prompt"},
                "llm_description": "Text prompt that describes the desired image content",
            }
        ],
        "extra": {"python": {"source": "tools/text2image.py"}},
    }
    files = {
        "manifest.yaml": yaml.safe_dump(manifest, allow_unicode=True),
        "main.py": SEED_MAIN,
        "provider/__init__.py": "",
        "provider/modelscope.yaml": yaml.safe_dump(provider, allow_unicode=True),
        "provider/modelscope_provider.py": SEED_PROVIDER,
        "tools/__init__.py": "",
        "tools/text2image.yaml": yaml.safe_dump(tool, allow_unicode=True),
        "tools/text2image.py": SEED_TOOL,
    }
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (directory / "_assets").mkdir(exist_ok=True)
    (directory / "_assets" / "icon.svg").write_bytes(icon)
    return directory
