/** What a wheel says about the modules it installs: its dist-info `top_level.txt` (setuptools) and RECORD. */
export interface WheelModuleInfo {
  topLevel: string | null;
  record: string[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
// An extension module's file name is `<name>.<abi tag>.so` or `<name>.pyd` (PEP 3149).
const MODULE_FILE = /^([A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z0-9_-]+)*\.(?:py|so|pyd)$/;

/**
 * The top-level modules an install test imports, sorted: `top_level.txt` when the wheel has one,
 * else the first path component of every RECORD entry that is a package directory or a module file
 * (the `.dist-info` and `.data` directories and `.pth` files are not importable). Pure.
 */
export function planImportModules(info: WheelModuleInfo): string[] {
  const names = new Set<string>();
  if (info.topLevel !== null) {
    for (const line of info.topLevel.split(/\r?\n/)) {
      const name = line.trim().split('/')[0] ?? '';
      if (IDENTIFIER.test(name)) names.add(name);
    }
    if (names.size > 0) return [...names].sort();
  }
  for (const entry of info.record) {
    const path = entry.replace(/\\/g, '/');
    const [first, ...rest] = path.split('/');
    if (first === undefined || first === '' || /\.(?:dist-info|data)$/.test(first)) continue;
    if (rest.length > 0) {
      if (IDENTIFIER.test(first) && first !== '__pycache__') names.add(first);
      continue;
    }
    const match = MODULE_FILE.exec(first);
    if (match?.[1] !== undefined) names.add(match[1]);
  }
  return [...names].sort();
}

/**
 * Reads `top_level.txt` and RECORD out of a wheel with Python's zipfile, the reader pip itself uses;
 * prints `WheelModuleInfo` as JSON.
 */
export const READ_WHEEL_MODULES = `
import csv, io, json, re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    names = wheel.namelist()
    records = [n for n in names if re.fullmatch(r"[^/]+\\.dist-info/RECORD", n)]
    if len(records) != 1:
        sys.exit("expected one .dist-info/RECORD, found %d" % len(records))
    dist_info = records[0].rsplit("/", 1)[0]
    rows = csv.reader(io.StringIO(wheel.read(records[0]).decode("utf-8")))
    record = [row[0] for row in rows if row]
    top_level = None
    if dist_info + "/top_level.txt" in names:
        top_level = wheel.read(dist_info + "/top_level.txt").decode("utf-8")
print(json.dumps({"topLevel": top_level, "record": record}))
`;

/** Imports every module named on the command line; run with `python -I` so the cwd is not on sys.path. */
export const IMPORT_MODULES = `
import importlib, sys
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    print("imported %s from %s" % (name, getattr(module, "__file__", None) or "(namespace)"))
`;
