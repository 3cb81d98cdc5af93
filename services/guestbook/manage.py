#!/usr/bin/env python3
"""Django's command line for the guestbook (migrate, check, collectstatic, runserver)."""

import sys

from django.core.management import execute_from_command_line

from guestbook.boot import settings_or_exit

if __name__ == "__main__":
    settings_or_exit()
    execute_from_command_line(sys.argv)
