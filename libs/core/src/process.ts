import { PackyardError } from './errors.js';

export interface RunToolOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** How many trailing stderr lines a failure reports. */
  tailLines?: number;
  timeoutMs?: number;
}

export interface ToolResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs an external tool (uv, pex, git, …). A failure becomes a TOOL_FAILED error that names the tool,
 * its exit code and the last lines it wrote to stderr, which is what a user needs to fix it.
 */
export async function runTool(
  file: string,
  args: string[],
  options: RunToolOptions = {},
): Promise<ToolResult> {
  // Loaded on first use: execa's module graph costs more start-up time than most commands take.
  const { execa } = await import('execa');
  const result = await execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs,
    all: false,
  });
  if (result.failed) {
    const tool = file.split('/').pop() ?? file;
    const tail = tailLines(`${result.stderr}`.trim() || `${result.stdout}`.trim(), options.tailLines ?? 15);
    const why = result.timedOut
      ? `timed out after ${options.timeoutMs} ms`
      : result.exitCode !== undefined
        ? `exited with code ${result.exitCode}`
        : `failed: ${result.shortMessage}`;
    throw new PackyardError('TOOL_FAILED', `${tool} ${why}${tail ? `:\n${indent(tail)}` : ''}`, {
      value: [tool, ...args].join(' '),
    });
  }
  return { stdout: String(result.stdout), stderr: String(result.stderr) };
}

export function tailLines(text: string, count: number): string {
  const lines = text.split('\n');
  return lines.slice(Math.max(0, lines.length - count)).join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
