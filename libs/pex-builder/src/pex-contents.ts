import { PackyardError, runTool } from '@packyard/core';
import type { Tools } from './tools.js';

/** What a PEX holds: its wheels (file names, from PEX-INFO) and the console/GUI scripts they define. */
export interface PexContents {
  distributions: string[];
  scripts: string[];
}

// A PEX is a zip file; PEX-INFO's "distributions" names each
// wheel, whose installed files sit under .deps/<wheel>/, entry points included. Python's zipfile and
// configparser read both exactly as pex and importlib.metadata do.
const READ_CONTENTS = `
import configparser, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as pex:
    info = json.loads(pex.read("PEX-INFO"))
    distributions = sorted(info.get("distributions", {}))
    scripts = set()
    for name in pex.namelist():
        parts = name.split("/")
        if (len(parts) == 4 and parts[0] == ".deps" and parts[1] in distributions
                and parts[2].endswith(".dist-info") and parts[3] == "entry_points.txt"):
            entry_points = configparser.ConfigParser(delimiters=("=",), interpolation=None)
            entry_points.optionxform = str
            entry_points.read_string(pex.read(name).decode("utf-8"))
            for section in ("console_scripts", "gui_scripts"):
                if entry_points.has_section(section):
                    scripts.update(entry_points.options(section))
print(json.dumps({"distributions": distributions, "scripts": sorted(scripts)}))
`;

/** Reads a PEX's wheels and scripts without running it (it may be for another platform). */
export async function readPexContents(tools: Pick<Tools, 'python'>, pexFile: string): Promise<PexContents> {
  const { stdout } = await runTool(tools.python, ['-c', READ_CONTENTS, pexFile], { tailLines: 10 });
  try {
    const contents = JSON.parse(stdout) as PexContents;
    return { distributions: contents.distributions, scripts: contents.scripts };
  } catch (error) {
    throw new PackyardError('INTERNAL', `cannot read the contents of ${pexFile}`, {
      file: pexFile,
      value: stdout,
      cause: error,
    });
  }
}
