"""Finds the ht binary this wheel installs (into the environment's scripts directory)."""

import os
import shutil
import sys
import sysconfig


def find_ht() -> str:
    """The path of the bundled ht."""
    name = "ht.exe" if sys.platform == "win32" else "ht"
    candidate = os.path.join(sysconfig.get_path("scripts"), name)
    if os.path.isfile(candidate):
        return candidate
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError("ht is not installed next to htty_core")
    return found
