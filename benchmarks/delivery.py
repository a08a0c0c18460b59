"""Delivery cost of one image, measured in a fresh process (run by run.py; reads a JSON request on stdin).

    echo '{"way": "plugin", ...}' | python benchmarks/delivery.py   ->  one JSON line on stdout

The process imports dify_plugin first, as the plugin runtime does (so gevent's patching applies), warms the
code path up on a tiny image, then delivers the measured image five times (see ``measure``):

* CPU: ``time.process_time()`` of this process only (the fake provider that serves the bytes runs in the parent
  process, so its CPU is not counted), for the first delivery and as the median of three later ones;
* memory: ``tracemalloc`` peak (Python allocations) and the growth of the peak resident set during the first
  delivery (VmHWM reset through /proc/self/clear_refs), which also sees Pillow's pixel buffers.

Ways: ``plugin`` is the generated client's result path (download from the /files/ URL into a MediaFile, build
the blob message, no decode); ``seed`` is the seed's download + Pillow decode + PNG re-encode + blob message.
"""

from __future__ import annotations

import dify_plugin  # noqa: F401  (first, as in the plugin's main.py: importing it applies gevent's patching)

# isort: split

import gc
import hashlib
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from dify_plugin.entities.tool import ToolInvokeMessage

# isort: split
import common  # noqa: F401  (benchmarks/ is sys.path[0]; importing it puts the example on sys.path)

# isort: split
from job_client import JobClient, load_settings

# isort: split
from seed_plugin import seed_download, seed_reencode


def blob_message(data: bytes, meta: dict[str, Any]) -> ToolInvokeMessage:
    """What ``Tool.create_blob_message`` builds (constructed directly: no Tool instance is needed)."""
    return ToolInvokeMessage(
        type=ToolInvokeMessage.MessageType.BLOB, message=ToolInvokeMessage.BlobMessage(blob=data), meta=meta
    )


Deliver = Callable[[Any, str], tuple[list[ToolInvokeMessage], float]]


def plugin_way(request: dict[str, Any]) -> Deliver:
    """The generated plugin: JobClient's result path (download, size cap, type sniffing) and the blob message.

    The client is built (settings.yaml read) before the measurement: the tool does that before the job starts.
    """
    client = JobClient(load_settings(), request["api_key"], request["base_url"])

    def deliver(payload: Any, task_id: str) -> tuple[list[ToolInvokeMessage], float]:
        files, oversized, _failures = client._collect_results(payload, task_id)
        if oversized:
            raise RuntimeError(f"the client returned a link instead of the file: {oversized[0].reason}")
        return [blob_message(f.data, {"mime_type": f.mime_type, "filename": f.filename}) for f in files], 0.0

    return deliver


def seed_way(request: dict[str, Any]) -> Deliver:
    """The seed: ``requests.get`` the first URL, decode and re-encode as PNG, then the blob message.

    The callable returns the messages and the CPU seconds spent after the download (decode + re-encode + message).
    """

    def deliver(payload: Any, task_id: str) -> tuple[list[ToolInvokeMessage], float]:
        content = seed_download(payload["output_images"][0])
        downloaded = time.process_time()
        message = blob_message(seed_reencode(content), {"mime_type": "image/png"})
        return [message], time.process_time() - downloaded

    return deliver


WAYS: dict[str, Callable[[dict[str, Any]], Deliver]] = {"plugin": plugin_way, "seed": seed_way}


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


def _timed(deliver: Deliver, request: dict[str, Any]) -> tuple[list[ToolInvokeMessage], dict[str, float]]:
    """One delivery of the measured image: process CPU time and the seed's CPU after its download."""
    started = time.process_time()
    messages, after_download = deliver(request["payload"], request["task_id"])
    return messages, {"cpu": time.process_time() - started, "cpu_after_download": after_download}


def measure(request: dict[str, Any], warm_runs: int = 3) -> dict[str, Any]:
    """Warm up on the tiny image, then deliver the measured image 2 + ``warm_runs`` times in this process.

    1st (cold): CPU time and peak-RSS growth, the first large delivery of a fresh plugin process;
    2nd: tracemalloc peak (tracing slows Python down, so this pass is not timed);
    then ``warm_runs`` timed deliveries: the steady-state cost per image of a running plugin (their median).
    """
    deliver = WAYS[request["way"]](request)
    deliver(request["warmup_payload"], request["warmup_task_id"])  # imports, codecs, connection machinery
    gc.collect()
    peak_reset = _reset_peak_rss()
    rss_before = _status_kib("VmRSS")
    messages, cold = _timed(deliver, request)
    rss_growth = (_status_kib("VmHWM") - rss_before) * 1024 if peak_reset else None
    del messages
    gc.collect()
    tracemalloc.start()
    messages, _ = deliver(request["payload"], request["task_id"])
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del messages
    warm = []
    for _ in range(warm_runs):
        gc.collect()
        messages, timing = _timed(deliver, request)
        warm.append(timing)
    blob = messages[0].message.blob  # type: ignore[union-attr]
    seed = request["way"] == "seed"
    return {
        "cold_cpu": cold["cpu"],
        "cpu": statistics.median(t["cpu"] for t in warm),
        "cpu_after_download": statistics.median(t["cpu_after_download"] for t in warm) if seed else None,
        "traced_peak": traced_peak,
        "rss_growth": rss_growth,
        "bytes": len(blob),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "mime_type": (messages[0].meta or {}).get("mime_type"),
        "messages": len(messages),
    }


def main() -> int:
    request = json.load(sys.stdin)
    print(json.dumps(measure(request)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
