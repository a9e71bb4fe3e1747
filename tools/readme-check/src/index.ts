/**
 * The commands a Markdown page shows, and the environment to run them in a fresh clone with.
 *
 * A command is one logical line of a fenced `sh`, `bash`, `shell` or `console` block (lines ending
 * in `\` are joined; in `console` blocks only the lines after a `$ ` prompt). A block is skipped when
 * the last non-blank line before its fence is `<!-- readme-test: skip (REASON) -->`: the reason is
 * part of the page, so readers see why the block does not run as written.
 */

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
