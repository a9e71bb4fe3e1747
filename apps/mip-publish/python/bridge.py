"""Runs a channel's existing package.py / packages.py unchanged, for mip-publish.

  bridge.py describe FILE            print the packages' attributes as JSON
  bridge.py build FILE INDEX MHL_DIR  run build(mhl_dir) (or prepare(mhl_dir)) of package INDEX

A package file defines a class `Package` (one package) or a module-level list `packages`; it may
set a module-level BUILD_TYPE. Anything it raises ends this process with its traceback on stderr.
"""

import importlib.util
import json
import os
import sys

FIELDS = (
    "name", "description", "version", "build_number", "dependencies", "homepage", "repository",
    "license", "matlab_tag", "abi_tag", "platform_tag", "usage_examples", "exposed_symbols",
)


def load(path):
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)
    os.chdir(directory)
    spec = importlib.util.spec_from_file_location("mip_channel_package", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if isinstance(getattr(module, "packages", None), list):
        objects = list(module.packages)
    elif hasattr(module, "Package"):
        objects = [module.Package()]
    else:
        raise SystemExit(f"{path}: defines neither a Package class nor a module-level packages list")
    return module, objects


def attributes(obj):
    return {field: getattr(obj, field) for field in FIELDS if hasattr(obj, field)}


def main(argv):
    command, path = argv[1], argv[2]
    module, objects = load(path)
    if command == "describe":
        build_type = getattr(module, "BUILD_TYPE", None)
        out = [{"attributes": attributes(obj), "build_type": build_type} for obj in objects]
    elif command == "build":
        obj = objects[int(argv[3])]
        mhl_dir = os.path.abspath(argv[4])
        step = getattr(obj, "build", None) or getattr(obj, "prepare", None)
        if step is None:
            raise SystemExit(f"{path}: package {getattr(obj, 'name', argv[3])} has neither build() nor prepare()")
        step(mhl_dir)
        out = {"exposed_symbols": list(getattr(obj, "exposed_symbols", None) or [])}
    else:
        raise SystemExit(f"unknown command {command}")
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
