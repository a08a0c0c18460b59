"""Try the plugin without Dify: invoke a tool as Dify does and save what it returns.

    python scripts/try.py "a golden cat" --fake      # offline, against the embedded fake API (placeholder results)
    python scripts/try.py "a golden cat"             # the real API; key from .env or environment
    python scripts/try.py --help                     # this plugin's tools, with an example for each

Credentials come from the environment or `.env` (API_KEY, optional BASE_URL), never from the command line,
and are never printed. Every image is written to --out (default try-output/) and listed with its type and
size. A failure prints the plugin's own error message (the one Dify would show) and exits with status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PLUGIN_ROOT = Path(__file__).resolve().parents[1]
if str(PLUGIN_ROOT) not in sys.path:
    sys.path.insert(0, str(PLUGIN_ROOT))

# Third-party imports sort first, so dify_plugin gevent-patches the standard library before requests loads.
import yaml  # noqa: E402
from dify_plugin import Tool  # noqa: E402
from dify_plugin.entities.tool import ToolInvokeMessage  # noqa: E402
from local_env import local_credentials, no_key  # noqa: E402 (scripts/ is this file's folder: on sys.path)

from job_client import PluginError, load_settings  # noqa: E402
from job_client.kinds import example, image_tools, job_tools  # noqa: E402

BLOB = ToolInvokeMessage.MessageType.BLOB
JSON = ToolInvokeMessage.MessageType.JSON
# Tools that start a generation, in the order try.py picks a default from those this plugin has.
RUNNABLE_TOOLS = job_tools()


def example_command(tool: str) -> str:
    """The tool's --help example (shown for the tools this plugin has: found in tools/, not fixed at render)."""
    image = " --image cat.jpg" if tool in image_tools() else ""
    return f'python scripts/try.py "{example(tool)}" --tool {tool}{image} --fake'


def available_tools() -> list[str]:
    """The generation tools this plugin has: those whose tools/<name>.yaml exists."""
    return [name for name in RUNNABLE_TOOLS if (PLUGIN_ROOT / "tools" / f"{name}.yaml").is_file()]


def description(tools: list[str]) -> str:
    """The --help text: the module's summary, then an example for each tool this plugin has, and only those."""
    summary = (__doc__ or "").split("\n\n")[0]
    examples = "\n".join(f"    {example_command(tool)}" for tool in tools)
    real = f'    python scripts/try.py "a golden cat" --tool {tools[0]}  # the real API; key from .env or environment'
    if takes_image(tools[0]):
        real += " --image cat.jpg"
    return f"{summary}\n\nThis plugin's tools: {', '.join(tools)}.\n\n{examples}\n{real}\n\n" + (
        "With --fake every result is a placeholder from the fake API, not a generated image or video."
    )


def declared_parameters(tool: str) -> dict[str, dict[str, Any]]:
    """The tool's parameters as its tools/<name>.yaml declares them, by name."""
    tool_yaml = yaml.safe_load((PLUGIN_ROOT / "tools" / f"{tool}.yaml").read_text(encoding="utf-8"))
    return {parameter["name"]: parameter for parameter in tool_yaml.get("parameters") or []}


def takes_image(tool: str) -> bool:
    """Whether the tool takes an input image: its YAML declares an `image` file."""
    return declared_parameters(tool).get("image", {}).get("type") == "file"


def tool_class(name: str) -> type[Tool]:
    """The tool's single Tool subclass, found the way Dify's loader finds it."""
    module = importlib.import_module(f"tools.{name}")
    (found,) = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Tool) and value.__module__ == module.__name__
    ]
    return found


@contextlib.contextmanager
def serve_file(path: Path) -> Iterator[str]:
    """Serve one local file on 127.0.0.1, standing in for Dify's file service; yields its URL."""
    data = path.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/files/{path.name}"
    finally:
        server.shutdown()
        server.server_close()


def file_parameter(url: str, path: Path) -> dict[str, Any]:
    """A file parameter as Dify's daemon sends it; Tool.invoke turns it into a dify_plugin File."""
    return {
        "dify_model_identity": "__dify__file__",
        "url": url,
        "type": "image",
        "filename": path.name,
        "extension": path.suffix,
        "size": path.stat().st_size,
    }


def parse_parameters(tool: str, prompt: str, pairs: list[str]) -> dict[str, Any]:
    """Tool parameters from `name=value` pairs, typed as the tool YAML declares (numbers as Dify sends them).
    Values are checked by the tool itself, as in Dify: a refused one fails the run before any request."""
    declared = declared_parameters(tool)
    parameters: dict[str, Any] = {"prompt": prompt}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or name not in declared:
            raise SystemExit(f"--param {pair!r}: use name=value with one of {', '.join(sorted(declared))}")
        if declared[name]["type"] != "number":
            parameters[name] = value
            continue
        try:
            parameters[name] = float(value)
        except ValueError:
            raise SystemExit(f"--param {pair!r}: {name} is a number") from None
    return parameters


def run(tool_name: str, parameters: dict[str, Any], credentials: dict[str, str], out_dir: Path) -> int:
    tool = tool_class(tool_name).from_credentials(credentials, user_id="try")
    started = time.monotonic()
    try:
        messages = list(tool.invoke(parameters))
    except PluginError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    details = next((m.message.json_object for m in messages if m.type == JSON), {})
    for message in messages:
        if message.type == BLOB:
            path = out_dir / message.meta["filename"]
            path.write_bytes(message.message.blob)
            print(f"saved {path}  {message.meta['mime_type']}  {len(message.message.blob)} bytes")
        elif message.type != JSON:
            print(f"{message.type.value}: {message.message.text}")
    print(f"task id: {details.get('task_id') or '-'}  model: {details.get('model')}  time: {elapsed:.2f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    tools = available_tools()
    parser = argparse.ArgumentParser(
        description=description(tools), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("prompt", help="what to generate, or the edit instruction")
    parser.add_argument("--tool", choices=tools, default=tools[0], help=f"the tool to run (default {tools[0]})")
    parser.add_argument("--image", type=Path, help=f"input image for {' and '.join(image_tools())}")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a tool parameter")
    parser.add_argument("--out", type=Path, default=PLUGIN_ROOT / "try-output", help="folder for the results")
    parser.add_argument("--fake", action="store_true", help="use the embedded fake API on 127.0.0.1 (no key)")
    args = parser.parse_args(argv)
    if takes_image(args.tool) != (args.image is not None):
        needing = ", ".join(tool for tool in tools if takes_image(tool)) or "none in this plugin"
        parser.error(f"--image goes with the tools that take an input image ({needing}), and they need it")
    parameters = parse_parameters(args.tool, args.prompt, args.param)
    with contextlib.ExitStack() as stack:
        if args.image is not None:
            parameters["image"] = file_parameter(stack.enter_context(serve_file(args.image)), args.image)
        if not args.fake:
            fields = load_settings(tool=args.tool).auth.fields  # api_key, or e.g. access_key and secret_key
            credentials = local_credentials(PLUGIN_ROOT, fields)
            if not all(credentials[name] for name in fields):
                print(f"error: {no_key(fields)}", file=sys.stderr)
                return 1
            return run(args.tool, parameters, credentials, args.out)
        from fake_provider import PLACEHOLDER_NOTE, FakeProvider  # scripts/ is this file's folder: on sys.path

        fake = stack.enter_context(FakeProvider(load_settings(tool=args.tool)))
        print(f"local fake of {fake.settings.provider_label} at {fake.base_url}")
        status = run(args.tool, parameters, fake.credentials, args.out)
        if status == 0:  # so nobody takes the 16x16 sample for a real result; a refused run made none
            print(f"note: {PLACEHOLDER_NOTE[fake.media]}")
        return status


if __name__ == "__main__":
    sys.exit(main())
