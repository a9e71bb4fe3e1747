import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Which files are linted, relative to the repository root (documentation; `readWorkflowPaths` applies it). */
export const WORKFLOW_GLOBS: readonly string[] = Object.freeze([
  '.github/workflows/*.{yml,yaml}',
  'templates/**/workflows/*.{yml,yaml}',
]);

const WORKFLOW_FILE = /\.ya?ml$/;

/**
 * The workflow files under `root`, as sorted root-relative POSIX paths: the repository's own
 * (`.github/workflows/*.yml`, where GitHub reads them, no subdirectories) and the workflow templates
 * that pipelines copy into other repositories (any `workflows/` directory under `templates/`).
 */
export async function readWorkflowPaths(root: string): Promise<string[]> {
  const found = [
    ...(await readYamlFiles(root, '.github/workflows')),
    ...(await readTemplateWorkflowPaths(root, 'templates')),
  ];
  return found.sort();
}

async function readTemplateWorkflowPaths(root: string, dir: string): Promise<string[]> {
  const entries = await readDirectory(join(root, dir));
  const found: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name === 'node_modules') continue;
    const child = `${dir}/${entry.name}`;
    if (entry.name === 'workflows') found.push(...(await readYamlFiles(root, child)));
    found.push(...(await readTemplateWorkflowPaths(root, child)));
  }
  return found;
}

async function readYamlFiles(root: string, dir: string): Promise<string[]> {
  const entries = await readDirectory(join(root, dir));
  return entries.filter((e) => e.isFile() && WORKFLOW_FILE.test(e.name)).map((e) => `${dir}/${e.name}`);
}

async function readDirectory(path: string) {
  try {
    return await readdir(path, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
