"""Run the rendered plugin's JobClient once and print what happened as JSON (used in a subprocess).

Usage: ``python run_plugin.py <plugin root> '<request JSON>'``. The subprocess gives each rendering its own
``job_client`` package, so renderings of different presets never share an import.
Request: {"tool", "api_key" (a key, or the credential fields by name), "base_url", "parameters", "image_b64"
(optional input image bytes), "image_url" (the same image's Dify file URL, sent instead where the rendering's
image_input transport is url), "check_credentials" (optional: run the credential check instead of a job)}.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import sys
from pathlib import Path


def main() -> None:
    root, request = Path(sys.argv[1]), json.loads(sys.argv[2])
    sys.path.insert(0, str(root))
    from job_client import JobClient, PluginError
    from job_client.inputs import checked_image, inline_image
    from job_client.settings import load_settings

    settings = load_settings(root / "job_client" / "settings.yaml", tool=request["tool"])
    # Polling timing is not part of the contract: poll quickly so the cases take milliseconds.
    settings = dataclasses.replace(settings, poll=dataclasses.replace(settings.poll, first_delay=0.05, interval=0.1))
    parameters = dict(request["parameters"])
    if request.get("image_b64") and settings.image_input.transport == "url":
        # What the tool glue sends with transport url: the Dify file's URL as it is (the harness's input_url).
        parameters["image"] = request["image_url"]
    elif request.get("image_b64"):
        # What the image tools send inline: the checked image as a data URI, or bare base64 (image_input.transport).
        data, mime_type = checked_image(base64.b64decode(request["image_b64"]), settings.image_input)
        parameters["image"] = inline_image(data, mime_type, settings.image_input)
    client = JobClient(settings, request["api_key"], request["base_url"])
    outcome: dict = {}
    if request.get("check_credentials"):
        # What the provider form's check does (provider/<name>.py): one cheap authenticated request.
        try:
            client.check_credentials()
        except PluginError as error:
            outcome["error"] = {"type": type(error).__name__, "english": error.english, "chinese": error.chinese}
        print(json.dumps(outcome))
        return
    try:
        result = client.generate(parameters)
    except PluginError as error:
        outcome["error"] = {"type": type(error).__name__, "english": error.english, "chinese": error.chinese}
    else:
        outcome["files"] = [
            {"sha256": hashlib.sha256(media.data).hexdigest(), "mime_type": media.mime_type, "url": media.source_url}
            for media in result.files
        ]
        outcome["failures"] = list(result.failures)
        outcome["task_id"] = result.task_id
    print(json.dumps(outcome))


if __name__ == "__main__":
    main()
