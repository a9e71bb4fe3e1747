import { PackyardError } from '@packyard/core';

/** One pinned line of a lock: `name==version`, with its PEP 508 marker when it has one. */
export interface LockedRequirement {
  name: string;
  version: string;
  marker?: string;
}

// `name[extras]==version`; the name is PEP 508's (https://peps.python.org/pep-0508/#names).
const PINNED = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s;,]+)$/;

/**
 * Reads the pins of a `uv pip compile --generate-hashes` requirements.txt: joins `\` continuation
 * lines, drops comments and `--hash` options, and splits off the `; marker`. A line that is not an
 * exact pin (a range, a URL, `-e`, another option) is CONFIG_INVALID: the plan would miss it. Pure.
 */
export function parseLockedRequirements(text: string): LockedRequirement[] {
  const locked: LockedRequirement[] = [];
  for (const { line, number } of logicalLines(text)) {
    // pip's requirements-file syntax: options start at the first token beginning with "-"
    // (https://pip.pypa.io/en/stable/reference/requirements-file-format/); for a lock these are the
    // per-requirement --hash options.
    const tokens = line.split(/\s+/);
    const optionAt = tokens.findIndex((token) => token.startsWith('-'));
    const options = optionAt === -1 ? [] : tokens.slice(optionAt);
    const requirement = (optionAt === -1 ? tokens : tokens.slice(0, optionAt)).join(' ').trim();
    const unsupported = options.find((option) => !option.startsWith('--hash='));
    if (requirement === '' || unsupported !== undefined) {
      throw new PackyardError('CONFIG_INVALID', `requirements line ${number} is not a locked requirement`, {
        field: `line ${number}`,
        value: line,
        hint: 'the lock must come from `uv pip compile --generate-hashes` (pins and --hash options only)',
      });
    }
    const semicolon = requirement.indexOf(';');
    const spec = (semicolon === -1 ? requirement : requirement.slice(0, semicolon)).trim();
    const marker = semicolon === -1 ? undefined : requirement.slice(semicolon + 1).trim();
    const match = PINNED.exec(spec);
    if (match === null || marker === '') {
      throw new PackyardError('CONFIG_INVALID', `requirements line ${number} is not an exact pin`, {
        field: `line ${number}`,
        value: requirement,
        hint: 'each requirement of a lock is `name==version`, optionally followed by `; marker`',
      });
    }
    locked.push({ name: match[1]!, version: match[2]!, ...(marker === undefined ? {} : { marker }) });
  }
  return locked;
}

/**
 * The `--hash=sha256:…` values of each pin of a `uv pip compile --generate-hashes` lock, by
 * normalised project name (PEP 503) and version: `name==version` → hex digests. Pure.
 */
export function parseLockedHashes(text: string): Map<string, Set<string>> {
  const hashes = new Map<string, Set<string>>();
  for (const { line } of logicalLines(text)) {
    const tokens = line.split(/\s+/);
    const match = PINNED.exec(
      tokens
        .filter((token) => !token.startsWith('-'))
        .join(' ')
        .split(';')[0]!
        .trim(),
    );
    if (match === null) continue;
    const key = `${match[1]!.toLowerCase().replace(/[-_.]+/g, '-')}==${match[2]!}`;
    const set = hashes.get(key) ?? new Set<string>();
    for (const token of tokens) {
      const hash = /^--hash=sha256:([0-9a-f]{64})$/i.exec(token);
      if (hash) set.add(hash[1]!.toLowerCase());
    }
    hashes.set(key, set);
  }
  return hashes;
}

// pip's preprocessing (pip/_internal/req/req_file.py: join_lines, then ignore_comments): a line
// ending in a backslash continues on the next unless it is a comment line, which ends the continuation; then
// comments (a "#" at the start or after whitespace) are removed.
function* logicalLines(text: string): Generator<{ line: string; number: number }> {
  let pending: string | undefined;
  let start = 0;
  const emit = (joined: string, number: number): { line: string; number: number } => ({
    line: joined.replace(/(^|\s+)#.*$/, '').trim(),
    number,
  });
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const isComment = /^\s*#/.test(raw);
    if (raw.endsWith('\\') && !isComment) {
      if (pending === undefined) {
        pending = '';
        start = index + 1;
      }
      pending += raw.slice(0, -1);
      continue;
    }
    const result = pending === undefined ? emit(raw, index + 1) : emit(`${pending} ${raw}`, start);
    pending = undefined;
    if (result.line !== '') yield result;
  }
  if (pending !== undefined) {
    const result = emit(pending, start);
    if (result.line !== '') yield result;
  }
}
