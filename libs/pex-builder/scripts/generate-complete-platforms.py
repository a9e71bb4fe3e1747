# /// script
# requires-python = ">=3.9"
# dependencies = ["packaging==26.3"]
# ///
"""Writes pex `--complete-platform` descriptions for packyard's target platforms.

One JSON file per (Hermit platform x CPython minor version) into ../platforms:
`<os>-<arch>-py<X.Y>.json` = {"marker_environment": {...}, "compatible_tags": [...]}, the format
`pex3 interpreter inspect --markers --tags` prints on a real machine. The tags come from the pinned
`packaging` (the library pip and pex use) with every input named here, so the output does not depend
on the machine that runs this script.

Run it with the pinned packaging:

    uv run --no-project --no-config scripts/generate-complete-platforms.py

`--describe linux-amd64 --python 3.11 --glibc 2.36` prints one description instead (the tests use it
to compare this script with `pex3 interpreter inspect` on a real host).
"""

import argparse
import json
import os
import sys

import packaging
from packaging import tags

# Changing the pin may change the tag order or set, so it regenerates every file (a test compares).
PACKAGING_VERSION = "26.3"

PYTHON_VERSIONS = [(3, minor) for minor in range(9, 15)]

# The oldest glibc a linux PEX must run on: manylinux_2_28 (RHEL/Alma 8, Debian 10, Ubuntu 18.10+).
# Wheels for newer glibcs are left out, so a cross-built PEX never needs a newer distro than that.
GLIBC_FLOOR = (2, 28)

# The oldest macOS a darwin PEX must run on: 11.0 is the first release on Apple silicon; 10.15 for
# Intel is old enough for nearly every Intel Mac in use and admits wheels tagged up to 10.15.
MACOS_FLOOR = {"amd64": (10, 15), "arm64": (11, 0)}


def darwin_release(macos):
    # platform_release on macOS is the Darwin kernel's: 10.x = Darwin x+4, 11 and later = major+9.
    major, minor = macos
    return f"{major + 9 if major >= 11 else minor + 4}.0.0"


PLATFORMS = {
    "darwin-amd64": {"os": "darwin", "machine": "x86_64"},
    "darwin-arm64": {"os": "darwin", "machine": "arm64"},
    "linux-amd64": {"os": "linux", "machine": "x86_64"},
    "linux-arm64": {"os": "linux", "machine": "aarch64"},
}

# packaging._manylinux.platform_tags, fed a glibc version instead of reading this machine's:
# manylinux_2_N tags from the floor down, with the PEP 600 legacy aliases where they apply
# (https://peps.python.org/pep-0600/#legacy-manylinux-tags). manylinux_2_5 is the oldest on x86;
# other architectures start at 2_17.
LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}


def manylinux_platforms(machine, glibc):
    oldest = (2, 5) if machine in ("x86_64", "i686") else (2, 17)
    major, newest_minor = glibc
    if major != 2:
        raise SystemExit(f"glibc {major}.{newest_minor}: only glibc 2.x is known")
    for minor in range(newest_minor, oldest[1] - 1, -1):
        yield f"manylinux_{major}_{minor}_{machine}"
        legacy = LEGACY_MANYLINUX.get((major, minor))
        if legacy:
            yield f"{legacy}_{machine}"


def platform_tags(platform, glibc, macos):
    spec = PLATFORMS[platform]
    if spec["os"] == "darwin":
        return list(tags.mac_platforms(macos, spec["machine"]))
    # Only manylinux: the targets are glibc distributions (no musllinux), and a plain linux_<arch>
    # wheel was built against whatever glibc its builder had, so it is not portable to the floor.
    return list(manylinux_platforms(spec["machine"], glibc))


def marker_environment(platform, python_version, macos):
    spec = PLATFORMS[platform]
    full_version = "{}.{}.0".format(*python_version)
    darwin = spec["os"] == "darwin"
    # PEP 508 environment markers: https://peps.python.org/pep-0508/#environment-markers
    return dict(
        sorted(
            {
                "implementation_name": "cpython",
                # X.Y.0: the oldest patch release; a marker on a patch level is resolved for that.
                "implementation_version": full_version,
                "os_name": "posix",
                "platform_machine": spec["machine"],
                "platform_python_implementation": "CPython",
                # The macOS floor's Darwin release. Linux kernels vary independently of glibc, so
                # linux gets ""; platform_version (uname -v) is "" everywhere. No marker in practice
                # compares these, and "" never equals a real value.
                "platform_release": darwin_release(macos) if darwin else "",
                "platform_system": "Darwin" if darwin else "Linux",
                "platform_version": "",
                "python_full_version": full_version,
                "python_version": "{}.{}".format(*python_version),
                "sys_platform": "darwin" if darwin else "linux",
            }.items()
        )
    )


def complete_platform(platform, python_version, glibc=GLIBC_FLOOR, macos=None):
    arch = platform.split("-")[1]
    macos = macos or MACOS_FLOOR[arch]
    platforms = platform_tags(platform, glibc, macos)
    interpreter = "cp{}{}".format(*python_version)
    # The order pip and pex prefer, as packaging.tags.sys_tags gives it for CPython: the interpreter's
    # own ABI, abi3, none, older abi3; then py3x-none-<platform>, cpXY-none-any, py3x-none-any.
    # The ABI is named so the running interpreter's build flags (debug, free-threaded) do not leak in.
    compatible = list(tags.cpython_tags(python_version, [interpreter], platforms))
    compatible += tags.compatible_tags(python_version, interpreter, platforms)
    return {
        "marker_environment": marker_environment(platform, python_version, macos),
        "compatible_tags": [str(tag) for tag in compatible],
    }


def render(description):
    return json.dumps(description, indent=2) + "\n"


def parse_version(text):
    major, minor = text.split(".")
    return (int(major), int(minor))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--out", default=os.path.join(here, "..", "platforms"))
    parser.add_argument("--describe", choices=sorted(PLATFORMS), help="print one description")
    parser.add_argument("--python", type=parse_version, help="X.Y, with --describe")
    parser.add_argument("--glibc", type=parse_version, default=GLIBC_FLOOR, help="X.Y, with --describe")
    parser.add_argument("--macos", type=parse_version, help="X.Y, with --describe")
    args = parser.parse_args()

    if packaging.__version__ != PACKAGING_VERSION:
        raise SystemExit(
            f"packaging {packaging.__version__} is installed; this script is pinned to "
            f"{PACKAGING_VERSION} (run it with `uv run --no-project`)"
        )

    if args.describe:
        if args.python is None:
            raise SystemExit("--describe needs --python X.Y")
        sys.stdout.write(render(complete_platform(args.describe, args.python, args.glibc, args.macos)))
        return

    os.makedirs(args.out, exist_ok=True)
    for platform in sorted(PLATFORMS):
        for python_version in PYTHON_VERSIONS:
            name = "{}-py{}.{}.json".format(platform, *python_version)
            with open(os.path.join(args.out, name), "w", encoding="utf-8", newline="\n") as f:
                f.write(render(complete_platform(platform, python_version)))


if __name__ == "__main__":
    main()
