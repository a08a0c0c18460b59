"""The SDK stage: the SDK's models, ignored keys, start-up. The only module that imports dify_plugin."""

from __future__ import annotations

import contextlib
import copy
import importlib
import inspect
import os
import re
import sys
import traceback
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .common import (
    MANIFEST_KEYS_BEYOND_SDK,
    SDK,
    SDK_STARTUP,
    TOOL_FILE_KEYS,
    CannotCheck,
    PluginTree,
    Report,
    get_path,
    load_yaml,
)

# ── SDK: models, ignored keys, start-up ─────────────────────────────────────────────────────────


def check_with_sdk(tree: PluginTree, manifest: dict[str, Any], report: Report) -> None:
    """Validate every YAML file with the SDK's models, report ignored keys, then start the plugin."""
    try:
        from dify_plugin.config.config import DifyPluginEnv
        from dify_plugin.core.entities.plugin.setup import PluginConfiguration
        from dify_plugin.core.plugin_registration import PluginRegistration
        from dify_plugin.entities.tool import ToolConfiguration, ToolProviderConfiguration
        from dify_plugin.interfaces.tool import ToolProvider
    except ImportError as error:
        raise CannotCheck(
            f"the Dify SDK cannot be imported ({error}); run check.py with the plugin's interpreter after "
            "`pip install -r requirements.txt`, or pass --skip-sdk"
        ) from None

    errors_before = len(report.errors)
    unparsable = False  # a YAML file the static checks already reported as broken
    with plugin_runtime(tree.root):
        manifest_file = "manifest.yaml"
        validate_model(PluginConfiguration, manifest, manifest_file, report)
        report_ignored_keys(manifest_file, manifest, PluginConfiguration, report, extra_keys=MANIFEST_KEYS_BEYOND_SDK)
        provider_paths = get_path(manifest, "plugins.tools")
        for provider_path in provider_paths if isinstance(provider_paths, list) else []:
            if not isinstance(provider_path, str) or not tree.is_packed(provider_path):
                continue
            provider = load_yaml(tree, provider_path, Report(), SDK)
            if provider is None:
                unparsable = True
                continue
            tool_paths = provider.get("tools")
            if isinstance(tool_paths, list) and all(isinstance(path, str) for path in tool_paths):
                for tool_path in tool_paths:
                    parsed = check_tool_file_with_sdk(
                        tree, tool_path, report, ToolProviderConfiguration, ToolConfiguration
                    )
                    unparsable = unparsable or not parsed
                provider = {**provider, "tools": []}  # each tool was validated on its own, with its own file name
            validate_model(ToolProviderConfiguration, provider, provider_path, report)
            report_ignored_keys(provider_path, provider, ToolProviderConfiguration, report)

        if unparsable or len(report.errors) > errors_before:
            return  # start-up would stop at the first of the errors above
        try:
            registration = PluginRegistration(DifyPluginEnv())
        except Exception as error:  # noqa: BLE001 - anything the plugin's own code raises while loading
            report.error(blame(error, tree), f"start-up failed: {describe(error, tree.root)}", SDK_STARTUP)
            return
        for provider_config, provider_class, tools in registration.tools_mapping.values():
            source = provider_config.extra.python.source
            if provider_class._validate_credentials is ToolProvider._validate_credentials:
                report.warning(
                    source,
                    f"{provider_class.__name__} does not override _validate_credentials (the SDK default raises)",
                    SDK_STARTUP,
                )
            for tool_config, tool_class in tools.values():
                if inspect.isabstract(tool_class):
                    missing = ", ".join(sorted(tool_class.__abstractmethods__))
                    report.error(
                        tool_config.extra.python.source,
                        f"{tool_class.__name__} is abstract (implement {missing})",
                        SDK_STARTUP,
                    )


def check_tool_file_with_sdk(
    tree: PluginTree, tool_path: str, report: Report, provider_model: Any, tool_model: Any
) -> bool:
    """Validate one tool YAML the way the SDK loads it; False when it is missing or not YAML (already reported)."""
    tool = load_yaml(tree, tool_path, Report(), SDK) if tree.is_packed(tool_path) else None
    if tool is None:
        return False
    try:
        provider_model.validate_tools([tool_path])  # the SDK's own loader, relative to the plugin folder
    except Exception as error:  # noqa: BLE001 - the SDK wraps every failure in a ValueError or KeyError
        subset = {key: tool[key] for key in TOOL_FILE_KEYS if key in tool}
        if not validate_model(tool_model, subset, tool_path, report, raw=tool):
            report.error(tool_path, " ".join(str(error).split()), SDK)
    report_ignored_keys(tool_path, tool, tool_model, report, only_keys=TOOL_FILE_KEYS)
    return True


def validate_model(model: Any, data: dict[str, Any], file: str, report: Report, raw: Any = None) -> bool:
    """Validate data with an SDK model and report each error at its location; False when the model accepts it."""
    try:
        model.model_validate(copy.deepcopy(data))  # the SDK's validators mutate their input
    except Exception as error:  # noqa: BLE001 - SDK validators also raise TypeError, KeyError...
        if not hasattr(error, "errors"):  # not a pydantic ValidationError: no locations to report
            report.error(file, f"{type(error).__name__}: {' '.join(str(error).split())}", SDK)
            return True
        for detail in error.errors():
            location = format_location(detail["loc"], data if raw is None else raw)
            if location and report.already_reported(file, location):
                continue  # a daemon or marketplace rule already said it, more precisely
            report.error(file, f"{location or '(file)'}: {detail['msg']}", SDK, location)
        return True
    return False


def format_location(location: Sequence[Any], raw: Any) -> str:
    """('parameters', 1, 'type') -> 'parameters[1:size].type', naming list items by their name key."""
    text = ""
    node = raw
    for step in location:
        if isinstance(step, int) and isinstance(node, Mapping) and step < len(node):
            # A mapping the SDK turned into a list (credentials_for_provider): name the entry by its key.
            key = list(node)[step]
            text += f".{key}"
            node = node[key]
        elif isinstance(step, int):
            item = node[step] if isinstance(node, list) and step < len(node) else None
            text += list_item_label(step, item)
            node = item
        else:
            text += f".{step}" if text else str(step)
            node = node.get(step) if isinstance(node, Mapping) else None
    return text


def list_item_label(index: int, item: Any) -> str:
    """[1:size] for a list item with a name (parameters), else [1]."""
    name = item.get("name") if isinstance(item, Mapping) else None
    return f"[{index}:{name}]" if isinstance(name, str) and name else f"[{index}]"


def report_ignored_keys(
    file: str,
    raw: Any,
    model: Any,
    report: Report,
    *,
    extra_keys: Sequence[str] = (),
    only_keys: Sequence[str] | None = None,
) -> None:
    for location, accepted in ignored_keys(raw, model, "", extra_keys=extra_keys, only_keys=only_keys):
        report.warning(file, f"{location}: key ignored by the SDK (accepted here: {', '.join(sorted(accepted))})", SDK)


def ignored_keys(
    raw: Any,
    model: Any,
    prefix: str,
    *,
    extra_keys: Sequence[str] = (),
    only_keys: Sequence[str] | None = None,
) -> Iterator[tuple[str, list[str]]]:
    """(location, accepted keys) for every key of raw that the pydantic model would silently drop."""
    if not isinstance(raw, Mapping):
        return
    fields = {}
    for name, info in model.model_fields.items():
        key = info.validation_alias if isinstance(info.validation_alias, str) else info.alias or name
        if only_keys is None or key in only_keys:
            fields[key] = info.annotation
    accepted = [*fields, *extra_keys]
    for key, value in raw.items():
        location = f"{prefix}.{key}" if prefix else str(key)
        if key not in fields:
            if key not in extra_keys:
                yield location, accepted
            continue
        nested = nested_model(fields[key])
        if nested is None:
            continue
        sub_model, is_list = nested
        if not is_list:
            yield from ignored_keys(value, sub_model, location)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from ignored_keys(item, sub_model, location + list_item_label(index, item))
        elif isinstance(value, Mapping):  # e.g. credentials_for_provider: name -> config, turned into a list
            for name, item in value.items():
                yield from ignored_keys(item, sub_model, f"{location}.{name}")


def nested_model(annotation: Any) -> tuple[Any, bool] | None:
    """(pydantic model, is a list) inside an annotation such as `Model | None` or `list[Model]`."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            found = nested_model(argument)
            if found is not None:
                return found
        return None
    if origin in (list, tuple, Sequence, set):
        arguments = typing.get_args(annotation)
        inner = nested_model(arguments[0]) if arguments else None
        return (inner[0], True) if inner is not None and not inner[1] else None
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return annotation, False
    return None  # scalars, enums, free-form mappings


@contextlib.contextmanager
def plugin_runtime(root: Path) -> Iterator[None]:
    """Run with cwd = the plugin folder and the folder first on sys.path, as the daemon starts the plugin.

    Modules named like the plugin's top-level files (tools, provider, ...) are set aside first and the plugin's
    own modules are dropped afterwards, so a second check in the same interpreter loads its own code.
    """
    top_level = {entry.stem if entry.suffix == ".py" else entry.name for entry in root.iterdir()}
    set_aside = {name: module for name, module in sys.modules.items() if name.split(".")[0] in top_level}
    for name in set_aside:
        del sys.modules[name]
    saved_path, saved_cwd, saved_dont_write_bytecode = list(sys.path), os.getcwd(), sys.dont_write_bytecode
    loaded_before = set(sys.modules)
    sys.path.insert(0, str(root))
    os.chdir(root)
    sys.dont_write_bytecode = True  # checking must not leave __pycache__ folders in the plugin
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.dont_write_bytecode = saved_dont_write_bytecode
        for name in set(sys.modules) - loaded_before:
            if name.split(".")[0] in top_level:
                del sys.modules[name]
        sys.modules.update(set_aside)
        importlib.invalidate_caches()


def blame(error: BaseException, tree: PluginTree) -> str:
    """The packed file (and line) where start-up failed, from the traceback or else the message."""
    root = tree.root.resolve()

    def packed_path(filename: str) -> str | None:
        path = Path(filename).resolve()
        if not path.is_relative_to(root):
            return None
        relative = path.relative_to(root).as_posix()
        return relative if tree.is_packed(relative) else None

    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for exception in reversed(chain):  # the innermost cause first
        if isinstance(exception, SyntaxError) and exception.filename and packed_path(exception.filename):
            return f"{packed_path(exception.filename)}:{exception.lineno}"
        for frame in reversed(traceback.extract_tb(exception.__traceback__)):
            relative = packed_path(frame.filename)
            if relative is not None:
                return f"{relative}:{frame.lineno}"
    for match in re.finditer(r"(/\S+?\.(?:py|yaml))", str(error)):  # e.g. "Missing subclass of Tool in /x/a.py"
        relative = packed_path(match.group(1))
        if relative is not None:
            return relative
    return "(start-up)"


def describe(error: BaseException, root: Path) -> str:
    message = f"{type(error).__name__}: {error}".replace(str(root.resolve()) + os.sep, "")
    return " ".join(message.split())
