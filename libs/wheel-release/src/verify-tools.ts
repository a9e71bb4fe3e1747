import { PackyardError, runTool, tailLines } from '@packyard/core';
import { provisionPythonTools, type PythonToolSet } from '@packyard/python-tools';

interface ToolOptions {
  home?: string | undefined;
  log?: ((line: string) => void) | undefined;
}

// One provisioning per packyard home and process: the venv is checked once (an interpreter probe and
// the marker, about 0.3 s), not on every release verified.
const twineByHome = new Map<string, Promise<PythonToolSet>>();

/** Provisions the pinned twine (its venv also holds `packaging`, for requirement parsing), once per home. */
export function provisionTwine(options: ToolOptions): Promise<PythonToolSet> {
  const key = options.home ?? '';
  let tools = twineByHome.get(key);
  if (tools === undefined) {
    tools = provisionPythonTools({
      tools: ['twine'],
      ...(options.home ? { home: options.home } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    // A failed provisioning is not kept: the next call tries again.
    tools.catch(() => twineByHome.delete(key));
    twineByHome.set(key, tools);
  }
  return tools;
}

/** One Requires-Dist as `packaging` parsed it, or why it could not. */
export type PackagingRequirement =
  | { text: string; name: string; specifiers: { operator: string; version: string }[]; marker?: string }
  | { text: string; error: string };

/** What the Python side found: twine's findings by file path, and each requirement parsed. */
export interface PythonCheckResult {
  twine: Map<string, string>;
  requirements: PackagingRequirement[];
}

// Runs in the twine venv. argv[1] is {"files": [...], "requirements": [...]}. Parses each
// requirement with packaging (pip's own parser), then runs twine's own check (what `twine check
// --strict` runs) on each file in turn, so one unreadable file does not stop the others and one
// process serves a whole release set. Each part is introduced by a line starting with \x1e (after a
// newline: twine's "Checking <file>: " has none). twine is imported only when there are files.
const PYTHON_CHECKS = `
import json, sys
from packaging.requirements import InvalidRequirement, Requirement
request = json.loads(sys.argv[1])
out = []
for text in request["requirements"]:
    try:
        r = Requirement(text)
    except InvalidRequirement as error:
        out.append({"text": text, "error": str(error)})
        continue
    out.append({"text": text, "name": r.name, "marker": str(r.marker) if r.marker else None,
                "specifiers": [{"operator": s.operator, "version": s.version} for s in r.specifier]})
def mark(kind, value):
    sys.stdout.flush()
    sys.stdout.write("\\n\\x1e" + kind + " " + json.dumps(value) + "\\n")
    sys.stdout.flush()
mark("requirements", out)
if request["files"]:
    from twine import cli, exceptions
    from twine.commands import check as twine_check
    cli.configure_output()
for path in request["files"]:
    mark("file", path)
    try:
        failed = twine_check.check([path], strict=True)
        mark("result", "failed" if failed else "ok")
    except exceptions.TwineException as error:
        mark("error", type(error).__name__ + ": " + str(error))
    except Exception as error:
        mark("error", "twine cannot read it: " + type(error).__name__ + ": " + str(error))
`;

// Rich (twine's console) wraps at the terminal width and colours its verdicts.
const PLAIN_OUTPUT = { COLUMNS: '100000', NO_COLOR: '1', TERM: 'dumb' };
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Runs `twine check --strict`'s check (the pinned twine) on each of `files` and parses each of
 * `requirements` with `packaging` from the same venv, in one Python process: no network.
 */
export async function runPythonChecks(
  tools: PythonToolSet,
  files: readonly string[],
  requirements: readonly string[],
): Promise<PythonCheckResult> {
  if (files.length === 0 && requirements.length === 0) return { twine: new Map(), requirements: [] };
  const { stdout } = await runTool(
    tools.python,
    ['-c', PYTHON_CHECKS, JSON.stringify({ files, requirements })],
    {
      env: PLAIN_OUTPUT,
      tailLines: 20,
    },
  );
  const twine = new Map<string, string>();
  let parsed: Array<Record<string, unknown>> | undefined;
  let file: string | undefined;
  let lines: string[] = [];
  for (const raw of stdout.replace(ANSI, '').split('\n')) {
    if (!raw.startsWith('\u001e')) {
      const line = raw.trim();
      // twine's own "Checking <file>: PASSED" line is the verdict, already read from `result`.
      if (line !== '') lines.push(line);
      continue;
    }
    const space = raw.indexOf(' ');
    const kind = raw.slice(1, space);
    const value = JSON.parse(raw.slice(space + 1)) as unknown;
    if (kind === 'requirements') parsed = value as Array<Record<string, unknown>>;
    else if (kind === 'file') {
      file = String(value);
      lines = [];
    } else if (file !== undefined && (kind === 'result' || kind === 'error')) {
      if (kind === 'error') twine.set(file, String(value));
      else if (value === 'failed') {
        // Rich may wrap twine's "Checking <file>: FAILED" line; what follows the verdict is the finding.
        const text = lines.join(' ').replace(/\s+/g, ' ').trim();
        const finding = text.replace(/^Checking [\s\S]*?: (?=FAILED)/, '').replace(/^FAILED(?! due)\s*/, '');
        twine.set(file, finding || 'FAILED');
      }
      file = undefined;
    }
  }
  if (parsed === undefined || parsed.length !== requirements.length) {
    throw new PackyardError('INTERNAL', 'the twine / packaging checks returned an unexpected answer', {
      value: tailLines(stdout, 10),
    });
  }
  return {
    twine,
    requirements: parsed.map((a, index) => {
      const text = requirements[index]!;
      if (typeof a['error'] === 'string') return { text, error: a['error'] };
      return {
        text,
        name: String(a['name']),
        specifiers: a['specifiers'] as { operator: string; version: string }[],
        ...(typeof a['marker'] === 'string' ? { marker: a['marker'] } : {}),
      };
    }),
  };
}
