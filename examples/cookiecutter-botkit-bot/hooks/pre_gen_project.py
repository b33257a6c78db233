"""Stop before anything is written when the bot's name cannot become a package name."""

import re
import sys

NAME = "{{ cookiecutter.bot_name }}"

if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", NAME):
    sys.exit(f"bot name {NAME!r}: use lower-case letters, digits and single hyphens, "
             "starting with a letter (like order-status)")
