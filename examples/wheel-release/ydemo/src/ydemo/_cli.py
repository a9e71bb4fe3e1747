"""The ydemo console script: finds the bundled yd binary and runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

from . import __version__


def _git_sha() -> str:
    # _build_info.py is generated at build time with the commit being built.
    try:
        from ._build_info import GIT_SHA  # type: ignore[import-not-found]
    except ImportError:
        return "unknown"
    return GIT_SHA


def find_yd() -> str:
    """The yd binary installed by yd-core: next to this interpreter's scripts first, then PATH."""
    name = "yd.exe" if os.name == "nt" else "yd"
    candidate = os.path.join(sysconfig.get_path("scripts"), name)
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    if found is None:
        raise SystemExit("ydemo: the yd binary is missing; reinstall yd-core")
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        print(f"ydemo {__version__} ({_git_sha()})")
        return 0
    return subprocess.call([find_yd(), *args])


if __name__ == "__main__":
    raise SystemExit(main())
