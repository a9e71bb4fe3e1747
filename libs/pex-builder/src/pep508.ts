import { PackyardError } from '@packyard/core';
import { runWithPackaging } from './markers.js';
import type { Tools } from '@packyard/python-tools';

/** One requirement as `packaging` parsed it, or why it could not. */
export type ParsedRequirement =
  | {
      text: string;
      name: string;
      extras: string[];
      specifier: string;
      /** A direct reference (`name @ URL`), or undefined. */
      url: string | undefined;
      marker: string | undefined;
    }
  | { text: string; error: string };

// Reads a JSON list of requirement strings from argv[1]; prints one answer per string.
const PARSE = `
import json, sys
from packaging.requirements import InvalidRequirement, Requirement
answers = []
for text in json.loads(sys.argv[1]):
    try:
        r = Requirement(text)
    except InvalidRequirement as error:
        answers.append({"text": text, "error": str(error)})
        continue
    answers.append({"text": text, "name": r.name, "extras": sorted(r.extras), "specifier": str(r.specifier),
                    "url": r.url, "marker": str(r.marker) if r.marker else None})
print(json.dumps(answers))
`;

/**
 * Parses PEP 508 requirement strings with the pinned `packaging` (pip's own parser), run through
 * `uv run --with` in the tools venv's Python; `indexUrl` is where uv gets `packaging` (once: it stays
 * in packyard's uv cache). Writes nothing but that cache. Returns one answer per input, in order.
 */
export async function parseRequirements(
  tools: Tools,
  requirements: readonly string[],
  options: { indexUrl: string },
): Promise<ParsedRequirement[]> {
  if (requirements.length === 0) return [];
  const stdout = await runWithPackaging(tools, PARSE, requirements, options.indexUrl);
  const answers = JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as Array<Record<string, unknown>>;
  if (!Array.isArray(answers) || answers.length !== requirements.length) {
    throw new PackyardError('INTERNAL', 'requirement parsing returned an unexpected answer', {
      value: stdout,
    });
  }
  return answers.map((a, index) =>
    typeof a.error === 'string'
      ? { text: requirements[index]!, error: a.error }
      : {
          text: requirements[index]!,
          name: String(a.name),
          extras: (a.extras as string[]).map(String),
          specifier: String(a.specifier),
          url: typeof a.url === 'string' ? a.url : undefined,
          marker: typeof a.marker === 'string' ? a.marker : undefined,
        },
  );
}
