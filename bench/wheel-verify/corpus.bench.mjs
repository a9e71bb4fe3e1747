#!/usr/bin/env node
// Benchmark: what each checker catches in the broken-wheel corpus. packyard's `checkWheelFile` side by
// side with `twine check --strict`, `check-wheel-contents` and `auditwheel show` (each pinned and
// provisioned through @packyard/python-tools), on every broken wheel of wheel-release-lib's fixtures
// (test/fixtures/make_broken.py: one wheel per rule, derived from htty_core 0.2.30's wheels on PyPI
// and the example's wheels built by packyard).
//
//   npx nx run wheel-release-lib:fixtures && node bench/wheel-verify/corpus.bench.mjs [--markdown]
//
// A checker catches a case when it fails on the broken wheel and passes on the wheel the case was
// derived from (a checker that refuses the source too, e.g. auditwheel on a macOS wheel, catches
// nothing there). Prints one JSON line, then the table (Markdown with --markdown).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { loadCompiled } from '../lib/load.mjs';

const [wheelRelease, pythonTools] = await loadCompiled(
  ['@packyard/wheel-release', '@packyard/python-tools'],
  'npx nx run wheel-release-lib:fixtures',
);
const { checkWheelFile } = wheelRelease;
const { provisionPythonTools, PINNED_PYTHON_TOOLS } = pythonTools;

const { values } = parseArgs({ options: { markdown: { type: 'boolean', default: false } } });
const FIXTURES = fileURLToPath(new URL('../../dist/fixtures/wheel-release-lib', import.meta.url));
const corpusDir = join(FIXTURES, 'broken');
let corpus;
try {
  corpus = JSON.parse(await readFile(join(corpusDir, 'corpus.json'), 'utf8'));
} catch {
  console.error(`no corpus in ${corpusDir}; run \`npx nx run wheel-release-lib:fixtures\` first`);
  process.exit(2);
}
const sourceOf = (c) => join(FIXTURES, c.source.startsWith('htty_core') ? 'pypi' : 'example', c.source);

const log = (line) => console.error(line);
const tools = await provisionPythonTools({ tools: ['twine', 'check-wheel-contents', 'auditwheel'], log });
const run = async (tool, args) => {
  const { file, args: pre } = tools.commands[tool];
  const r = await execa(file, [...pre, ...args], { reject: false, all: true });
  return { ok: r.exitCode === 0, output: r.all ?? '' };
};

/** Each checker: does it pass this wheel, and what it said. */
const CHECKERS = {
  packyard: async (path) => {
    const { problems } = await checkWheelFile(path);
    return { ok: problems.length === 0, output: problems.map((p) => `${p.check}: ${p.message}`).join('\n') };
  },
  'twine check --strict': (path) => run('twine', ['check', '--strict', path]),
  'check-wheel-contents': (path) => run('check-wheel-contents', [path]),
  'auditwheel show': async (path) => {
    const r = await run('auditwheel', ['show', path]);
    // auditwheel show exits 0 when it can read the wheel; it says which tag the binaries allow.
    // A wheel tagged for less than that (a lower manylinux, or a different libc or arch) is caught.
    const allowed = /consistent\s+with\s+the\s+following\s+platform\s+tag:\s*"([^"]+)"/.exec(r.output)?.[1];
    const tags = path
      .split('-')
      .pop()
      .replace(/\.whl$/, '')
      .split('.');
    const ok = r.ok && (allowed === undefined || tags.includes(allowed) || allowedCovers(allowed, tags));
    return { ok, output: r.output };
  },
};

/** Whether auditwheel's allowed tag (e.g. manylinux_2_17_x86_64) is at most what every wheel tag promises. */
function allowedCovers(allowed, tags) {
  const level = (tag) => {
    const legacy = { manylinux1: [2, 5], manylinux2010: [2, 12], manylinux2014: [2, 17] };
    const m = /^(manylinux|musllinux)_(\d+)_(\d+)_(.+)$/.exec(tag);
    if (m) return { family: m[1], v: [Number(m[2]), Number(m[3])], arch: m[4] };
    const l = /^(manylinux1|manylinux2010|manylinux2014)_(.+)$/.exec(tag);
    return l ? { family: 'manylinux', v: legacy[l[1]], arch: l[2] } : undefined;
  };
  const a = level(allowed);
  if (a === undefined) return false;
  return tags.every((t) => {
    const w = level(t);
    return (
      w !== undefined &&
      w.family === a.family &&
      w.arch === a.arch &&
      (w.v[0] - a.v[0] || w.v[1] - a.v[1]) >= 0
    );
  });
}

const rows = [];
const sourceCache = new Map();
for (const c of corpus) {
  const row = { case: c.case, rule: c.rule, what: c.what, caught: {}, named: false };
  for (const [name, check] of Object.entries(CHECKERS)) {
    const key = `${name}\0${c.source}`;
    if (!sourceCache.has(key)) sourceCache.set(key, await check(sourceOf(c)));
    const source = sourceCache.get(key);
    const broken = await check(join(corpusDir, c.case, c.file));
    row.caught[name] = source.ok && !broken.ok;
    if (name === 'packyard') row.named = broken.output.split('\n').some((l) => l.startsWith(`${c.rule}:`));
  }
  rows.push(row);
}

const names = Object.keys(CHECKERS);
const totals = Object.fromEntries(names.map((n) => [n, rows.filter((r) => r.caught[n]).length]));
console.log(
  JSON.stringify({
    bench: 'wheel-verify-corpus',
    cases: rows.length,
    caught: totals,
    packyardNamedRule: rows.filter((r) => r.named).length,
    versions: {
      twine: PINNED_PYTHON_TOOLS.twine,
      'check-wheel-contents': PINNED_PYTHON_TOOLS['check-wheel-contents'],
      auditwheel: PINNED_PYTHON_TOOLS.auditwheel,
    },
    rows: rows.map((r) => ({ case: r.case, rule: r.rule, ...r.caught })),
  }),
);
const mark = (b) => (b ? 'yes' : '-');
if (values.markdown) {
  console.log(`\n| case | what is broken | packyard (rule) | ${names.slice(1).join(' | ')} |`);
  console.log(
    `|---|---|---|${names
      .slice(1)
      .map(() => '---')
      .join('|')}|`,
  );
  for (const r of rows) {
    console.log(
      `| ${r.case} | ${r.what} | ${mark(r.caught.packyard)} (\`${r.rule}\`) | ${names
        .slice(1)
        .map((n) => mark(r.caught[n]))
        .join(' | ')} |`,
    );
  }
  console.log(
    `| **caught** | ${rows.length} cases | **${totals.packyard}** | ${names
      .slice(1)
      .map((n) => totals[n])
      .join(' | ')} |`,
  );
} else {
  for (const r of rows)
    console.log(`${r.case.padEnd(22)} ${names.map((n) => `${n}=${mark(r.caught[n])}`).join('  ')}`);
  console.log(`caught: ${names.map((n) => `${n} ${totals[n]}/${rows.length}`).join(', ')}`);
}
