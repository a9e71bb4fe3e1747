"""Runs a channel's existing package.py / packages.py unchanged, for mip-publish.

  bridge.py RESULT_FILE describe FILE             write the packages' attributes as JSON to RESULT_FILE
  bridge.py RESULT_FILE build FILE INDEX MHL_DIR  run build(mhl_dir) (or prepare(mhl_dir)) of package INDEX

The package file's own code may print anything to stdout and stderr (git's "Cloning into...",
progress lines): that is the package's log. The bridge's answer goes only to RESULT_FILE, written
once the step succeeded; a failure leaves it absent and the traceback in the log.

A package file defines a class `Package` (one package) or a module-level list `packages`; it may
set a module-level BUILD_TYPE or read the BUILD_TYPE environment variable (mip-publish sets it).
"""

import importlib.util
import json
import os
import re
import sys

FIELDS = (
    "name", "description", "version", "build_number", "dependencies", "homepage", "repository",
    "license", "matlab_tag", "abi_tag", "platform_tag", "usage_examples", "exposed_symbols",
)


def build_types_named(path):
    """The build types a package file compares BUILD_TYPE with, as written in its text."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    found = re.findall(r"BUILD_TYPE['\"]?\s*\)?\s*(?:==|!=)\s*['\"]([^'\"]+)['\"]", text)
    found += re.findall(r"['\"]([^'\"]+)['\"]\s*(?:==|!=)\s*(?:os\.environ\.get\(|os\.getenv\()?['\"]?BUILD_TYPE", text)
    return sorted(set(found))


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


def jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def main(argv):
    result_file, command, path = argv[1], argv[2], argv[3]
    module, objects = load(path)
    if command == "describe":
        build_type = getattr(module, "BUILD_TYPE", None) or os.environ.get("BUILD_TYPE")
        out = {
            "build_type": build_type,
            "build_types_named": build_types_named(path),
            "packages": [{k: jsonable(v) for k, v in attributes(obj).items()} for obj in objects],
        }
    elif command == "build":
        obj = objects[int(argv[4])]
        mhl_dir = os.path.abspath(argv[5])
        step = getattr(obj, "build", None) or getattr(obj, "prepare", None)
        if step is None:
            raise SystemExit(f"{path}: package {getattr(obj, 'name', argv[4])} has neither build() nor prepare()")
        step(mhl_dir)
        out = {"exposed_symbols": list(getattr(obj, "exposed_symbols", None) or [])}
    else:
        raise SystemExit(f"unknown command {command}")
    tmp = result_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(out, f)
    os.replace(tmp, result_file)


if __name__ == "__main__":
    main(sys.argv)
