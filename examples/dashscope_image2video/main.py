"""Entry point: Dify's plugin daemon runs `python -m main` in this folder."""

import logging
import os
import sys

from dify_plugin import DifyPluginEnv, Plugin
from dify_plugin.config.logger_format import plugin_logger_handler

# Progress goes to the daemon's log (JSON lines on stdout), never into the tool's text output.
job_logger = logging.getLogger("job_client")
job_logger.setLevel(logging.INFO)
job_logger.addHandler(plugin_logger_handler)

# Remote debugging: the daemon answers an expired debugging key with this line and closes the connection, so the
# SDK's next writes fail at once; it reconnects and re-registers in a loop that floods the log.
HANDSHAKE_REFUSED = "handshake failed, invalid key"
WRITE_FAILED, CONNECTED = "Failed to write data", "Sent key to"
FAILED_WRITES_BEFORE_STOP = 3  # in a row, each right after a handshake: the daemon is refusing the key
STALE_KEY_HELP = (
    "Remote debugging: Dify closed the connection after the handshake (handshake failed, invalid key): the "
    "debugging key has expired. Open Plugins > Debug in Dify, copy the current key into REMOTE_INSTALL_KEY in .env "
    "and start again.\n"
    "远程调试：Dify 在握手后断开了连接（handshake failed, invalid key），调试 Key 已过期。请在 Dify 的“插件 → 调试”页面"
    "复制当前 Key，填入 .env 的 REMOTE_INSTALL_KEY 后重新启动。\n"
)


class StaleDebugKeyStop(logging.Filter):
    """No reconnect can succeed with a refused key: say what it means once and stop, instead of the SDK's loop
    burying the daemon's answer in tracebacks. Reads the SDK's TCP log records only; patches nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.failed_writes = 0

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith(CONNECTED):
            self.failed_writes = 0
        elif message.startswith(WRITE_FAILED):
            self.failed_writes += 1
        if HANDSHAKE_REFUSED in message or self.failed_writes >= FAILED_WRITES_BEFORE_STOP:
            sys.stderr.write(STALE_KEY_HELP)
            sys.stderr.flush()
            os._exit(1)  # the SDK's own way out of its gevent loop (it leaves the same way on Ctrl-C)
        return True


logging.getLogger("dify_plugin.core.server.tcp.request_reader").addFilter(StaleDebugKeyStop())

plugin = Plugin(DifyPluginEnv())

if __name__ == "__main__":
    plugin.run()
