import { PackyardError } from '@packyard/core';
import { checkIndexUrl } from './lock.js';
import { runPythonWith, type Tools } from '@packyard/python-tools';

/**
 * The `packaging` release that generates the shipped platform descriptions and evaluates markers: the
 * reference implementation of PEP 425 tags and PEP 508 markers (what pip and pex use). Must match the
 * pin in scripts/generate-complete-platforms.py (tested).
 */
export const PINNED_PACKAGING = '26.3';

// Reads {"markers": [...], "environment": {...}} from argv[1] and prints {"results": [bool, ...]}, or
// {"invalid": marker, "error": text} for the first marker packaging cannot parse.
const EVALUATE = `
import json, sys
from packaging.markers import InvalidMarker, Marker
request = json.loads(sys.argv[1])
results = []
for text in request["markers"]:
    try:
        marker = Marker(text)
    except InvalidMarker as error:
        print(json.dumps({"invalid": text, "error": str(error)}))
        sys.exit(0)
    results.append(marker.evaluate(request["environment"]))
print(json.dumps({"results": results}))
`;

/**
 * Evaluates PEP 508 markers against a marker environment (a platform description's) with the pinned
 * `packaging`, run through `uv run --with` in the tools venv's Python; `indexUrl` is where uv gets
 * `packaging` (once: it stays in packyard's uv cache). Returns each marker's result.
 */
export async function evaluateMarkers(
  tools: Tools,
  markers: readonly string[],
  environment: Readonly<Record<string, string>>,
  options: { indexUrl: string },
): Promise<Map<string, boolean>> {
  const unique = [...new Set(markers)];
  if (unique.length === 0) return new Map();
  // No hand-written marker parser: PEP 508 comparisons follow PEP 440 for versions and fall back to
  // strings otherwise, which only packaging gets exactly right. The environment is passed whole, so
  // nothing of this machine's leaks in (packaging fills only names that are missing).
  const stdout = await runWithPackaging(tools, EVALUATE, { markers: unique, environment }, options.indexUrl);
  const answer = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    results?: boolean[];
    invalid?: string;
    error?: string;
  };
  if (answer.invalid !== undefined) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `invalid environment marker ${JSON.stringify(answer.invalid)}`,
      {
        value: answer.invalid,
        hint: answer.error,
      },
    );
  }
  const results = answer.results;
  if (!Array.isArray(results) || results.length !== unique.length) {
    throw new PackyardError('INTERNAL', 'marker evaluation returned an unexpected answer', { value: stdout });
  }
  return new Map(unique.map((marker, index) => [marker, results[index] === true]));
}

/**
 * Runs a Python `script` with the pinned `packaging`, through `uv run --with` in the tools venv's
 * Python, `payload` as JSON in argv[1]; `indexUrl` is where uv gets `packaging` (once: it stays in
 * packyard's uv cache). Returns the script's stdout.
 */
export async function runWithPackaging(
  tools: Tools,
  script: string,
  payload: unknown,
  indexUrl: string,
): Promise<string> {
  return runPythonWith(tools, {
    requirements: [`packaging==${PINNED_PACKAGING}`],
    indexUrl: checkIndexUrl(indexUrl),
    script,
    payload,
  });
}
