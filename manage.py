#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

With DATABASE_URL (or, for the relay, REDIS_URL) unset, it first starts this checkout's embedded server that the
settings point at (`hospital.devserver.embedded.start_for_command`), so every command reaches it.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hospital.settings")
    from django.core.management import execute_from_command_line

    from hospital.devserver.embedded import start_for_command

    start_for_command(sys.argv[1] if len(sys.argv) > 1 else None)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
