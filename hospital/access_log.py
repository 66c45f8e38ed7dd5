"""Gunicorn's access log without the static files (what `make run` serves).

Every admin page pulls a dozen CSS/JS/image files; logging each pushed the
`make run` banner and the requests that matter off the screen. Set
`ACCESS_LOG_STATIC=1` to log them again.
"""

import os

from gunicorn.glogging import Logger

STATIC_PREFIXES = ("/static/", "/favicon.ico")


def is_static(path: str) -> bool:
    return path.startswith(STATIC_PREFIXES)


class QuietStaticLogger(Logger):
    """Gunicorn logger whose access log skips requests for static files."""

    def access(self, resp, req, environ, request_time):
        if is_static(environ.get("PATH_INFO", "")) and os.environ.get("ACCESS_LOG_STATIC") != "1":
            return
        super().access(resp, req, environ, request_time)
