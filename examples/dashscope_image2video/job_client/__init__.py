"""Provider-neutral job client: submit a generation job, poll it, fetch its results. No Dify imports."""

from job_client.client import JobClient, JobResult, MediaFile, OversizedResult
from job_client.errors import PluginError
from job_client.settings import Settings, load_settings

__all__ = ["JobClient", "JobResult", "MediaFile", "OversizedResult", "PluginError", "Settings", "load_settings"]
