"""Dify glue for the SiliconFlow credentials: one cheap authenticated request, never an image."""

from typing import Any

from dify_plugin import ToolProvider
from dify_plugin.errors.tool import ToolProviderCredentialValidationError

from job_client import JobClient, PluginError, load_settings


class SiliconflowProvider(ToolProvider):
    def _validate_credentials(self, credentials: dict[str, Any]) -> None:
        client = JobClient(load_settings(), credentials.get("api_key", ""), credentials.get("base_url"))
        try:
            client.check_credentials()
        except PluginError as error:
            raise ToolProviderCredentialValidationError(str(error)) from None
