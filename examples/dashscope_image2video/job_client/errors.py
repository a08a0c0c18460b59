"""Exceptions raised by the job client.

Each one carries a message in English and Chinese. Raising (instead of yielding error text) makes Dify mark
the tool node as failed, so the node's retry and fail-branch settings work.
"""

from __future__ import annotations


class PluginError(Exception):
    """Base class: a failure the user can act on; ``str(error)`` is shown in Dify."""

    def __init__(self, english: str, chinese: str) -> None:
        self.english = english
        self.chinese = chinese
        super().__init__(f"{english}\n{chinese}")


class InvalidApiKeyError(PluginError):
    """The provider refused the API key (HTTP 401/403), or it has the wrong shape."""


class RateLimitedError(PluginError):
    """HTTP 429 after the allowed retries."""


class ProviderHttpError(PluginError):
    """Any other HTTP error status from the provider."""


class CannotReachError(PluginError):
    """DNS failure, refused or reset connection, or a timeout."""


class BadResponseError(PluginError):
    """The provider answered something the settings do not describe (not JSON, field missing...)."""


class TaskFailedError(PluginError):
    """The provider reported the task as failed."""


class JobTimeoutError(PluginError):
    """The task did not finish within ``max_wait``."""


class NoResultsError(PluginError):
    """The task succeeded but returned no image."""


class ResultDownloadError(PluginError):
    """A result could not be downloaded or decoded."""


class ModelUnavailableError(PluginError):
    """The provider does not list the chosen model (unknown or retired)."""


class InvalidInputError(PluginError):
    """A tool input is outside what its tool YAML, or the chosen model's family, declares; raised before any request."""


class SettingsError(PluginError, ValueError):
    """settings.yaml breaks a rule; a ValueError too, so callers that catch ValueError keep working."""
