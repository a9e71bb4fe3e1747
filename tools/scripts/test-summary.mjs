#!/usr/bin/env node
// Adds up the Jest result files every project's `test` target writes (dist/test-results/**.json)
// and prints one closing line, `N passed, N failed, N skipped`, for the whole suite.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '../../dist/test-results');
const totals = { passed: 0, failed: 0, skipped: 0, suites: 0 };

async function* walk(path) {
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.name.endsWith('.json')) yield full;
  }
}

for await (const file of walk(dir)) {
  const result = JSON.parse(await readFile(file, 'utf8'));
  totals.passed += result.numPassedTests;
  totals.failed += result.numFailedTests + (result.numRuntimeErrorTestSuites ?? 0);
  totals.skipped += result.numPendingTests + result.numTodoTests;
  totals.suites += result.numTotalTestSuites;
}
if (totals.suites === 0) {
  console.error('test-summary: no test results found under dist/test-results');
  process.exit(1);
}
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
