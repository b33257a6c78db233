"""Stop before anything is written when the plugin's name cannot become a package name, or the
license is not written the way pyproject.toml takes it (an SPDX expression)."""

import re
import sys

NAME = "{{ cookiecutter.plugin_name }}"
LICENSE = """{{ cookiecutter.license }}"""

if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", NAME):
    sys.exit(f"plugin name {NAME!r}: use lower-case letters, digits and single hyphens, "
             "starting with a letter (like order-status)")
if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+:() -]*", LICENSE):
    sys.exit(f"license {LICENSE!r}: write an SPDX expression such as MIT, Apache-2.0 or "
             "LicenseRef-Proprietary")
