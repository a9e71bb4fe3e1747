/**
 * The commands a Markdown page shows, and a fresh copy of the repository to run them in.
 *
 * A command is one logical line of a fenced `sh`, `bash`, `shell` or `console` block (lines ending
 * in `\` are joined; in `console` blocks only the lines after a `$ ` prompt). A block is skipped when
 * the last non-blank line before its fence is `<!-- readme-test: skip (REASON) -->`: the reason is
 * part of the page, so readers see why the block does not run as written.
 */
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface PageCommand {
  /** The page, as given to {@link extractCommands}. */
  file: string;
  /** 1-based line of the command's first line. */
  line: number;
  command: string;
  /** The marker's reason when the block is marked to be skipped. */
  skip?: string;
}

const SHELLS = new Set(['sh', 'bash', 'shell', 'console']);
const SKIP = /^<!--\s*readme-test:\s*skip\s*\((.+)\)\s*-->$/;
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;

export function extractCommands(markdown: string, file: string): PageCommand[] {
  const lines = markdown.split('\n');
  const commands: PageCommand[] = [];
  let previous = '';
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (open === null) {
      if (lines[i]!.trim() !== '') previous = lines[i]!.trim();
      continue;
    }
    const [, indent, fence, lang] = open;
    const body: { text: string; line: number }[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trimStart().startsWith(fence!)) {
      body.push({ text: lines[j]!.slice(Math.min(indent!.length, lines[j]!.search(/\S|$/))), line: j + 1 });
      j++;
    }
    if (SHELLS.has(lang!)) {
      const skip = SKIP.exec(previous)?.[1];
      for (const command of logicalLines(body, lang === 'console')) {
        commands.push({ file, ...command, ...(skip === undefined ? {} : { skip }) });
      }
    }
    previous = '';
    i = j;
  }
  return commands;
}

function logicalLines(
  body: { text: string; line: number }[],
  console: boolean,
): { line: number; command: string }[] {
  const out: { line: number; command: string }[] = [];
  let current: { line: number; command: string } | undefined;
  for (const { text, line } of body) {
    let part = text;
    if (current === undefined) {
      if (console) {
        if (!part.startsWith('$ ')) continue;
        part = part.slice(2);
      }
      if (part.trim() === '' || part.trimStart().startsWith('#')) continue;
      current = { line, command: '' };
    }
    if (part.endsWith('\\')) {
      current.command += part.slice(0, -1);
      continue;
    }
    current.command = (current.command + part).trim();
    out.push(current);
    current = undefined;
  }
  if (current !== undefined) out.push({ ...current, command: current.command.trim() });
  return out;
}

/**
 * The code spans of one column of the first table under a heading (`## The five pipelines`, column
 * `try it`): one array per row, in the row's order.
 */
export function tableColumnCode(markdown: string, heading: string, column: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const header = lines.findIndex((l, i) => i > start && l.trimStart().startsWith('|'));
  if (header < 0) throw new Error(`no table under "${heading}"`);
  const cells = (row: string) =>
    row
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
  const index = cells(lines[header]!).indexOf(column);
  if (index < 0) throw new Error(`no column "${column}" in the table under "${heading}"`);
  const rows: string[][] = [];
  for (let i = header + 2; i < lines.length && lines[i]!.trimStart().startsWith('|'); i++) {
    const cell = cells(lines[i]!)[index] ?? '';
    rows.push([...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
  }
  return rows;
}

/**
 * A fresh copy of the repository at `root` in `dest`, as a clone would be after `npm install`: the
 * tracked files as they are in the work tree, committed into a new git repository, and every
 * `node_modules` directory copied with `cp -a` (the `@packyard/*` links are relative, so they point
 * inside the copy). Nothing else: no `dist/`, no `.nx/`, no build outputs.
 */
export async function copyRepository(root: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  const listed = (await execa('git', ['ls-files', '-z', '--cached'], { cwd: root })).stdout.split('\0');
  const present: string[] = [];
  for (const file of listed) {
    if (file === '') continue;
    const stat = await lstat(join(root, file)).catch(() => undefined);
    if (stat !== undefined) present.push(file);
  }
  await execa('bash', ['-c', 'set -o pipefail; tar --null -T - -cf - | tar -xf - -C "$1"', 'copy', dest], {
    cwd: root,
    input: present.join('\0'),
  });
  for (const dir of await nodeModulesDirectories(root)) {
    await mkdir(join(dest, dir, '..'), { recursive: true });
    await execa('cp', ['-a', join(root, dir), join(dest, dir)]);
  }
  const git = {
    cwd: dest,
    env: { GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' },
  };
  await execa('git', ['init', '-q', '-b', 'main'], git);
  await execa('git', ['add', '-A'], git);
  await execa(
    'git',
    ['-c', 'user.name=readme-check', '-c', 'user.email=readme-check@localhost', 'commit', '-qm', 'copy'],
    git,
  );
}

async function nodeModulesDirectories(root: string): Promise<string[]> {
  const found = ['node_modules'];
  for (const group of ['libs', 'apps', 'tools']) {
    for (const entry of await readdir(join(root, group)).catch(() => [] as string[])) {
      const dir = join(group, entry, 'node_modules');
      if ((await lstat(join(root, dir)).catch(() => undefined))?.isDirectory()) found.push(dir);
    }
  }
  return found;
}

/**
 * The environment a command runs with in the copy: this one, without what npm and Nx set for the
 * task running the test (they would point at this workspace), with the copy's own Nx cache.
 */
export function freshEnvironment(
  nxCacheDirectory: string,
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (/^(npm_|NX_)/i.test(key) || key === 'INIT_CWD') continue;
    out[key] = value;
  }
  return { ...out, NX_DAEMON: 'false', NX_CACHE_DIRECTORY: nxCacheDirectory, NX_NO_CLOUD: 'true' };
}
