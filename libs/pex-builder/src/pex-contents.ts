import { PackyardError, runTool } from '@packyard/core';
import type { Tools } from '@packyard/python-tools';

/**
 * What a PEX holds: its wheels (file names, from PEX-INFO), the console/GUI scripts they define, and
 * their wheel scripts (files a wheel ships under `<name>.data/scripts/`, as ruff and uv ship their
 * binaries). pex runs either kind by name (`PEX_SCRIPT`, `pex --script`).
 */
export interface PexContents {
  distributions: string[];
  scripts: string[];
  wheelScripts: string[];
}

// A PEX is a zip file; PEX-INFO's "distributions" names each
// wheel, whose installed files sit under .deps/<wheel>/, entry points included. Python's zipfile and
// configparser read both exactly as pex and importlib.metadata do. A wheel's .data/scripts/ files are
// stashed by pex under .deps/<wheel>/<stash_dir>/bin/, stash_dir named by .deps/<wheel>/.layout.json
// (pex/installed_wheel.py, pex 2.105).
const READ_CONTENTS = `
import configparser, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as pex:
    info = json.loads(pex.read("PEX-INFO"))
    distributions = sorted(info.get("distributions", {}))
    scripts = set()
    wheel_scripts = set()
    names = pex.namelist()
    for wheel in distributions:
        layout = ".deps/%s/.layout.json" % wheel
        stash = json.loads(pex.read(layout)).get("stash_dir") if layout in names else None
        if stash:
            prefix = ".deps/%s/%s/bin/" % (wheel, stash)
            wheel_scripts.update(n[len(prefix):] for n in names
                                 if n.startswith(prefix) and "/" not in n[len(prefix):] and n != prefix)
    for name in names:
        parts = name.split("/")
        if (len(parts) == 4 and parts[0] == ".deps" and parts[1] in distributions
                and parts[2].endswith(".dist-info") and parts[3] == "entry_points.txt"):
            entry_points = configparser.ConfigParser(delimiters=("=",), interpolation=None)
            entry_points.optionxform = str
            entry_points.read_string(pex.read(name).decode("utf-8"))
            for section in ("console_scripts", "gui_scripts"):
                if entry_points.has_section(section):
                    scripts.update(entry_points.options(section))
print(json.dumps({"distributions": distributions, "scripts": sorted(scripts),
                  "wheelScripts": sorted(wheel_scripts)}))
`;

/** Reads a PEX's wheels and both kinds of scripts without running it (it may be for another platform). */
export async function readPexContents(tools: Pick<Tools, 'python'>, pexFile: string): Promise<PexContents> {
  const { stdout } = await runTool(tools.python, ['-c', READ_CONTENTS, pexFile], { tailLines: 10 });
  try {
    const contents = JSON.parse(stdout) as PexContents;
    return {
      distributions: contents.distributions,
      scripts: contents.scripts,
      wheelScripts: contents.wheelScripts,
    };
  } catch (error) {
    throw new PackyardError('INTERNAL', `cannot read the contents of ${pexFile}`, {
      file: pexFile,
      value: stdout,
      cause: error,
    });
  }
}
