#!/usr/bin/env node
// lint-workflows [--root DIR]: lints the workflows under DIR (default: the current directory) with the
// pinned actionlint, shellcheck and zizmor. Exit codes: 0 nothing found, 1 findings, 2 bad command
// line, 3 a linter could not be provisioned or run.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { toPackyardError } from '@packyard/core';
import { provisionTools } from '@packyard/python-tools';
import { renderLintReports } from './findings.js';
import { lintWorkflows, provisionLinters } from './linters.js';

async function main(): Promise<number> {
  let root: string;
  try {
    const { values } = parseArgs({ options: { root: { type: 'string' } }, allowPositionals: false });
    root = resolve(values.root ?? '.');
  } catch (error) {
    process.stderr.write(`lint-workflows: ${(error as Error).message}\nusage: lint-workflows [--root DIR]\n`);
    return 2;
  }
  try {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const tools = await provisionTools({ log });
    const linters = await provisionLinters({ tools, log });
    const reports = await lintWorkflows({ root, linters });
    process.stdout.write(renderLintReports(reports));
    return reports.some((r) => r.findings.length > 0) ? 1 : 0;
  } catch (error) {
    process.stderr.write(`lint-workflows: ${toPackyardError(error).format()}\n`);
    return 3;
  }
}

process.exitCode = await main();
