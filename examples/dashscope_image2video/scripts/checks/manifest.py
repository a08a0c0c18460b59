"""manifest.yaml, provider and tool YAML: the daemon's and the marketplace's declaration rules (i18n, assets, names)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlparse

from difypkg import VERSION_PATTERN

from .common import (
    ARCHITECTURES,
    AUTHOR_PATTERN,
    DAEMON_DECLARATION,
    DAEMON_INSTALL,
    DAEMON_PACKAGE,
    DAEMON_RUNTIME,
    EMAIL_PATTERN,
    I18N_LOCALES,
    IDENTITY_NAME_PATTERN,
    MANIFEST_DAEMON_REQUIRED,
    MANIFEST_REQUIRED,
    MARKETPLACE,
    MARKETPLACE_WARNING,
    NAME_PATTERN,
    PLUGIN_KINDS,
    PLUGIN_TAGS,
    PROJECT,
    REPO_URL_PATTERN,
    RFC3339_PATTERN,
    SDK_STARTUP,
    SIZE_PATTERN,
    PluginTree,
    Report,
    get_path,
    is_blank,
    load_yaml,
)

# ── manifest.yaml: daemon and marketplace rules ─────────────────────────────────────────────────


def check_manifest(tree: PluginTree, manifest: dict[str, Any], report: Report) -> None:
    file = "manifest.yaml"
    for dotted in MANIFEST_REQUIRED:
        if is_blank(get_path(manifest, dotted)):
            report.error(file, f"{dotted}: required", MARKETPLACE, dotted)
    for dotted in MANIFEST_DAEMON_REQUIRED:
        if is_blank(get_path(manifest, dotted)):
            report.error(file, f"{dotted}: required", DAEMON_PACKAGE, dotted)

    def present(dotted: str) -> bool:
        return not is_blank(get_path(manifest, dotted))

    if present("version") and not VERSION_PATTERN.match(str(manifest["version"])):
        report.error(file, "version: use x.y.z, e.g. 0.1.0", DAEMON_PACKAGE, "version")
    if present("type") and manifest["type"] != "plugin":
        report.error(file, "type: must be plugin", DAEMON_PACKAGE, "type")
    if present("author"):
        author = str(manifest["author"])
        if not AUTHOR_PATTERN.match(author):
            report.error(file, "author: use a-z 0-9 _ - only, 1-64 chars", DAEMON_INSTALL, "author")
        if "dify" in author.lower() or "langgenius" in author.lower():
            report.error(file, 'author: "dify"/"langgenius" are reserved', MARKETPLACE, "author")
    if present("name") and not NAME_PATTERN.match(str(manifest["name"])):
        report.error(file, "name: use a-z 0-9 _ - only, 1-128 chars", DAEMON_INSTALL, "name")
    for i18n_field in ("label", "description"):
        check_i18n(file, i18n_field, manifest.get(i18n_field), report, require_en_us=False)
    for icon_field in ("icon", "icon_dark"):
        if present(icon_field):
            check_asset(tree, file, icon_field, manifest[icon_field], report, DAEMON_PACKAGE)
    check_resource(file, manifest.get("resource"), report)
    check_plugins_field(tree, file, manifest.get("plugins"), report)
    check_meta(tree, file, manifest.get("meta"), report)
    tags = manifest.get("tags")
    if tags is not None:
        if not isinstance(tags, list):
            report.error(file, "tags: must be a list", DAEMON_PACKAGE, "tags")
        else:
            check_tags(file, "tags", tags, report)
    if present("created_at") and not is_rfc3339(manifest["created_at"]):
        report.error(
            file, "created_at: must be an RFC 3339 timestamp such as 2025-01-01T00:00:00Z", DAEMON_PACKAGE, "created_at"
        )
    if present("repo"):
        repo = str(manifest["repo"])
        parsed = urlparse(repo)
        if not (parsed.scheme and parsed.netloc):
            report.error(file, "repo: must be a URL", DAEMON_PACKAGE, "repo")
        elif repo.endswith("/"):
            report.error(file, "repo: drop the trailing slash", PROJECT, "repo")
        elif repo.endswith(".git"):
            report.error(file, "repo: drop the .git suffix", PROJECT, "repo")
        elif not REPO_URL_PATTERN.match(repo):
            report.error(file, "repo: use https://<host>/<owner>/<repo>", MARKETPLACE, "repo")
    if present("contact") and not EMAIL_PATTERN.match(str(manifest["contact"])):
        report.error(file, "contact: not an e-mail address", MARKETPLACE, "contact")


def check_i18n(file: str, field_path: str, value: Any, report: Report, *, require_en_us: bool) -> None:
    """An I18nObject: en_US non-empty, every text shorter than 1024 characters (daemon basic_type.go)."""
    if value is None:
        if require_en_us:
            report.error(file, f"{field_path}.en_US: required", DAEMON_DECLARATION, field_path)
        return
    if not isinstance(value, Mapping):
        report.error(file, f"{field_path}: must be a mapping of locale to text", DAEMON_PACKAGE, field_path)
        return
    if require_en_us and is_blank(value.get("en_US")):
        report.error(file, f"{field_path}.en_US: must be 1-1023 characters", DAEMON_DECLARATION, field_path + ".en_US")
    for locale in I18N_LOCALES:
        text = value.get(locale)
        if text is not None and len(str(text)) >= 1024:
            report.error(file, f"{field_path}.{locale}: must be 1-1023 characters", DAEMON_PACKAGE, field_path)


def check_asset(tree: PluginTree, file: str, field_path: str, icon: Any, report: Report, rule: str) -> None:
    """Icons are file names relative to _assets/ and must be in the package (daemon CheckAssetsValid)."""
    icon_path = f"_assets/{icon}"
    if len(str(icon)) > 128:
        report.error(file, f"{field_path}: must be at most 128 characters", rule, field_path)
    elif not tree.is_packed(icon_path):
        report.error(file, f"{field_path}: {icon_path} {tree.why_missing(icon_path)}", rule, field_path)


def check_resource(file: str, resource: Any, report: Report) -> None:
    if not isinstance(resource, Mapping):
        if resource is not None:
            report.error(file, "resource: must be a mapping", DAEMON_PACKAGE, "resource")
        return
    memory = resource.get("memory")
    if memory is not None and (isinstance(memory, bool) or not isinstance(memory, int) or memory <= 0):
        report.error(file, "resource.memory: must be a positive number of bytes", DAEMON_PACKAGE, "resource.memory")
    storage = get_path(resource, "permission.storage")
    if isinstance(storage, Mapping):
        size = storage.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or not 1024 <= size <= 1073741824:
            report.error(
                file,
                "resource.permission.storage.size: must be 1024..1073741824 bytes",
                DAEMON_PACKAGE,
                "resource.permission.storage.size",
            )


def check_plugins_field(tree: PluginTree, file: str, plugins: Any, report: Report) -> None:
    if not isinstance(plugins, Mapping):
        if plugins is not None:
            report.error(file, "plugins: must be a mapping", DAEMON_PACKAGE, "plugins")
        return
    declared = 0
    for kind in PLUGIN_KINDS:
        paths = plugins.get(kind)
        if paths is None:
            continue
        if not isinstance(paths, list):
            report.error(file, f"plugins.{kind}: must be a list of file paths", DAEMON_PACKAGE, f"plugins.{kind}")
            continue
        declared += len(paths)
        for index, path in enumerate(paths):
            field_path = f"plugins.{kind}[{index}]"
            if not isinstance(path, str) or not path:
                report.error(file, f"{field_path}: must be a file path", DAEMON_PACKAGE, field_path)
            elif len(path) > 128:
                report.error(file, f"{field_path}: must be at most 128 characters", DAEMON_PACKAGE, field_path)
            elif not tree.is_packed(path):
                report.error(file, f"{field_path}: {path} {tree.why_missing(path)}", DAEMON_PACKAGE, field_path)
            elif kind == "tools":
                check_tool_provider_file(tree, path, report)
        if len(paths) > 1:
            report.warning(
                file, f"plugins.{kind}: the daemon keeps only the last of {len(paths)} entries", DAEMON_PACKAGE
            )
    if declared == 0:
        report.error(file, f"plugins: must list at least one of {', '.join(PLUGIN_KINDS)}", DAEMON_INSTALL, "plugins")


def check_meta(tree: PluginTree, file: str, meta: Any, report: Report) -> None:
    if not isinstance(meta, Mapping):
        if meta is not None:
            report.error(file, "meta: must be a mapping", DAEMON_PACKAGE, "meta")
        return
    version = meta.get("version")
    if not is_blank(version) and not VERSION_PATTERN.match(str(version)):
        report.error(file, f"meta.version: must match {VERSION_PATTERN.pattern}", DAEMON_PACKAGE, "meta.version")
    arch = meta.get("arch")
    if not is_blank(arch) and (not isinstance(arch, list) or any(item not in ARCHITECTURES for item in arch)):
        report.error(file, "meta.arch: must be a list of amd64 and/or arm64", DAEMON_PACKAGE, "meta.arch")
    runner = meta.get("runner")
    if isinstance(runner, Mapping):
        language = runner.get("language")
        if not is_blank(language) and language != "python":
            report.error(file, "meta.runner.language: must be python", DAEMON_PACKAGE, "meta.runner.language")
        runner_version = runner.get("version")
        if not is_blank(runner_version) and len(str(runner_version)) > 128:
            report.error(
                file, "meta.runner.version: must be at most 128 characters", DAEMON_PACKAGE, "meta.runner.version"
            )
        entrypoint = runner.get("entrypoint")
        if not is_blank(entrypoint):
            module_path = str(entrypoint).replace(".", "/")
            candidates = (f"{module_path}.py", f"{module_path}/__main__.py")
            if len(str(entrypoint)) > 256:
                report.error(
                    file, "meta.runner.entrypoint: must be at most 256 characters", DAEMON_PACKAGE, "meta.runner"
                )
            elif not any(tree.is_packed(candidate) for candidate in candidates):
                report.error(
                    file,
                    f"meta.runner.entrypoint: {candidates[0]} {tree.why_missing(candidates[0])} "
                    f"(the daemon runs `python -m {entrypoint}`)",
                    DAEMON_RUNTIME,
                    "meta.runner.entrypoint",
                )
    elif runner is not None:
        report.error(file, "meta.runner: must be a mapping", DAEMON_PACKAGE, "meta.runner")
    if is_blank(meta.get("minimum_dify_version")):
        report.warning(file, "meta.minimum_dify_version: not set", MARKETPLACE_WARNING)


def check_tags(file: str, field_path: str, tags: list[Any], report: Report) -> None:
    for index, tag in enumerate(tags):
        if tag not in PLUGIN_TAGS:
            report.error(
                file,
                f"{field_path}[{index}]: {tag!r} is not a Dify plugin tag (use one of: {', '.join(PLUGIN_TAGS)})",
                DAEMON_PACKAGE,
                f"{field_path}[{index}]",
            )


def is_rfc3339(value: Any) -> bool:
    if isinstance(value, datetime):  # an unquoted YAML timestamp
        return value.tzinfo is not None
    if isinstance(value, date) or not isinstance(value, str) or not RFC3339_PATTERN.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper())
    except ValueError:  # e.g. month 13
        return False
    return True


# ── provider and tool YAML: what the SDK models do not check ────────────────────────────────────


def check_tool_provider_file(tree: PluginTree, path: str, report: Report) -> None:
    provider = load_yaml(tree, path, report, DAEMON_PACKAGE)
    if provider is None:
        return
    identity = provider.get("identity")
    if isinstance(identity, Mapping):
        check_identity_name(path, identity, report)
        for icon_field in ("icon", "icon_dark"):
            if not is_blank(identity.get(icon_field)):
                rule = DAEMON_PACKAGE if icon_field == "icon" else DAEMON_INSTALL
                check_asset(tree, path, f"identity.{icon_field}", identity[icon_field], report, rule)
        check_i18n(path, "identity.label", identity.get("label"), report, require_en_us=True)
        check_i18n(path, "identity.description", identity.get("description"), report, require_en_us=False)
        if isinstance(identity.get("tags"), list):
            check_tags(path, "identity.tags", identity["tags"], report)
    check_python_source(tree, path, provider, report)
    tools = provider.get("tools")
    if not isinstance(tools, list):
        return
    for index, tool_path in enumerate(tools):
        if not isinstance(tool_path, str):
            continue  # inline declarations: the SDK model reports them
        if not tree.is_packed(tool_path):
            report.error(path, f"tools[{index}]: {tool_path} {tree.why_missing(tool_path)}", DAEMON_PACKAGE, "tools")
            continue
        tool = load_yaml(tree, tool_path, report, DAEMON_PACKAGE)
        if tool is None:
            continue
        if isinstance(tool.get("identity"), Mapping):
            check_identity_name(tool_path, tool["identity"], report)
            check_i18n(tool_path, "identity.label", tool["identity"].get("label"), report, require_en_us=True)
        if isinstance(tool.get("description"), Mapping):
            human = tool["description"].get("human")
            check_i18n(tool_path, "description.human", human, report, require_en_us=True)
        check_python_source(tree, tool_path, tool, report)
        check_tool_options(tool_path, tool, report)


def check_tool_options(file: str, tool: Mapping[str, Any], report: Report) -> None:
    """The model and size menus: the rules the template's answers meet (includes/rules.jinja)."""
    name = str((tool.get("identity") or {}).get("name", file))
    for parameter in tool.get("parameters") or []:
        if not isinstance(parameter, Mapping) or parameter.get("type") not in ("select", "dynamic-select"):
            continue
        options = [option for option in parameter.get("options") or [] if isinstance(option, Mapping)]
        if parameter.get("name") == "model" and any(
            is_blank(option.get("value")) or is_blank((option.get("label") or {}).get("en_US")) for option in options
        ):
            report.error(file, f"{name}.models: need id, label", PROJECT, "parameters")
        bad_sizes = [str(option.get("value")) for option in options if not SIZE_PATTERN.match(str(option.get("value")))]
        if parameter.get("name") == "size" and bad_sizes:
            report.error(file, f'{name}: size "{bad_sizes[0]}": WxH, W:H or a name', PROJECT, "parameters")


def check_identity_name(file: str, identity: Mapping[str, Any], report: Report) -> None:
    name = identity.get("name")
    if not is_blank(name) and not IDENTITY_NAME_PATTERN.match(str(name)):
        report.error(
            file, f"identity.name: must match {IDENTITY_NAME_PATTERN.pattern}", DAEMON_DECLARATION, "identity.name"
        )


def check_python_source(tree: PluginTree, file: str, declaration: Mapping[str, Any], report: Report) -> None:
    """extra.python.source names the module the SDK imports at start-up."""
    source = get_path(declaration, "extra.python.source")
    if isinstance(source, str) and source and not tree.is_packed(source):
        report.error(
            file, f"extra.python.source: {source} {tree.why_missing(source)}", SDK_STARTUP, "extra.python.source"
        )
        return
    dynamic = [
        p.get("name")
        for p in declaration.get("parameters") or []
        if isinstance(p, Mapping) and p.get("type") == "dynamic-select"
    ]
    if dynamic and isinstance(source, str) and "def _fetch_parameter_options" not in (tree.read_text(source) or ""):
        # Without it the SDK raises NotImplementedError and Dify shows an empty menu.
        report.error(file, f"{dynamic[0]}: dynamic-select needs _fetch_parameter_options in {source}", PROJECT)
