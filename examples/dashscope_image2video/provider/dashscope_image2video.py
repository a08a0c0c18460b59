"""Dify glue for the provider credentials: one cheap authenticated request, never a generation."""

from typing import Any

from dify_plugin import ToolProvider
from dify_plugin.errors.tool import ToolProviderCredentialValidationError


class DashscopeImage2videoProvider(ToolProvider):
    def _validate_credentials(self, credentials: dict[str, Any]) -> None:
        # imported on first use: the daemon waits for start-up, and only a credential check needs job_client
        from job_client import JobClient, PluginError, load_settings

        client = JobClient.from_credentials(credentials, load_settings())
        try:
            client.check_credentials()
        except PluginError as error:
            raise ToolProviderCredentialValidationError(str(error)) from None
