"""Entry point: Dify's plugin daemon runs `python -m main` in this folder."""

import logging

from dify_plugin import DifyPluginEnv, Plugin
from dify_plugin.config.logger_format import plugin_logger_handler

# Progress goes to the daemon's log (JSON lines on stdout), never into the tool's text output.
job_logger = logging.getLogger("job_client")
job_logger.setLevel(logging.INFO)
job_logger.addHandler(plugin_logger_handler)

plugin = Plugin(DifyPluginEnv())

if __name__ == "__main__":
    plugin.run()
