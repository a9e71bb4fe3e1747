import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { createNodesFromFiles, type CreateNodes, type CreateNodesResult } from '@nx/devkit';
import { PackyardError, toPackyardError } from '@packyard/core';
import { parsePackageName } from './config.js';
import { planPackageProject } from './project.js';

/** The files the plugin turns into projects, relative to the workspace root. */
export const PACKAGE_CONFIG_GLOB = 'packages/*/config.yaml';

/**
 * The message Nx prints under the file's name. Errors cross from Nx's plugin worker as message and
 * stack only, so the field, value and hint go into the text (`file` is printed by Nx). Pure.
 */
export function renderNodesError(error: PackyardError): string {
  const text = error.field ? `${error.field}: ${error.message}` : error.message;
  return error.hint ? `${text}\nhint: ${error.hint}` : text;
}

async function readPackageNodes(file: string, workspaceRoot: string): Promise<CreateNodesResult> {
  const root = posix.dirname(file);
  const directory = posix.basename(root);
  // hermit-pex skips hidden directories under packages/ too (listPackageDirs).
  if (directory.startsWith('.')) return {};
  try {
    const name = parsePackageName(await readFile(join(workspaceRoot, file), 'utf8'), file, directory);
    return { projects: { [root]: planPackageProject(name, root) } };
  } catch (error) {
    const failure = toPackyardError(error, 'CONFIG_INVALID');
    throw new PackyardError(failure.code, renderNodesError(failure), { file, cause: failure });
  }
}

/**
 * One project per `packages/<name>/config.yaml` (Nx 22+ signature). A config that cannot be read, or
 * whose `package` is not its directory's name, fails the whole graph with an
 * AggregateCreateNodesError naming the file, the field and the value: a package silently left out
 * would also be left out of `nx affected` in CI, and its build would pass without running.
 */
export const createNodesV2: CreateNodes = [
  PACKAGE_CONFIG_GLOB,
  (files, options, context) =>
    createNodesFromFiles((file) => readPackageNodes(file, context.workspaceRoot), files, options, context),
];
