import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pep440 from '@renovatebot/pep440';
import { PackyardError, runTool, tailLines } from '@packyard/core';
import { provisionPythonTools, provisionTools, toolEnv } from '@packyard/python-tools';
import type { ArchiveMember } from './inspect/archive.js';
import type { VerifyInput, VerifyProblem } from './verify.js';

interface ToolOptions {
  home?: string | undefined;
  log?: ((line: string) => void) | undefined;
}

async function twineTools(options: ToolOptions) {
  return provisionPythonTools({
    tools: ['twine'],
    ...(options.home ? { home: options.home } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
}

// Rich (twine's console) wraps at the terminal width and colours its verdicts.
const PLAIN_OUTPUT = { COLUMNS: '100000', NO_COLOR: '1', TERM: 'dumb', FORCE_COLOR: undefined };
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Runs the pinned `twine check --strict` over `names` (in `dir`) and returns its findings per file.
 * twine stops at the first file it cannot read at all, so the run resumes after that file.
 */
export async function runTwineCheck(
  dir: string,
  names: readonly string[],
  options: ToolOptions,
): Promise<{ file: string; message: string }[]> {
  const tools = await twineTools(options);
  const twine = tools.commands.twine!;
  const { execa } = await import('execa');
  const findings: { file: string; message: string }[] = [];
  let remaining = [...names];
  while (remaining.length > 0) {
    const result = await execa(twine.file, [...twine.args, 'check', '--strict', ...remaining], {
      cwd: dir,
      env: PLAIN_OUTPUT,
      reject: false,
      stdin: 'ignore',
      all: true,
    });
    const output = String(result.all ?? '').replace(ANSI, '');
    const sections = parseTwineOutput(output);
    let resumeAfter = -1;
    for (const section of sections) {
      const index = remaining.indexOf(section.file);
      if (index < 0) continue;
      resumeAfter = Math.max(resumeAfter, index);
      if (section.verdict === 'PASSED') continue;
      const message = section.lines.join(' ').replace(/\s+/g, ' ').trim();
      findings.push({ file: section.file, message: message || section.verdict });
    }
    if (result.exitCode !== 0 && (sections.length === 0 || sections.at(-1)!.verdict === 'PASSED')) {
      throw new PackyardError('TOOL_FAILED', `twine check exited with code ${result.exitCode}`, {
        file: dir,
        value: tailLines(output.trim(), 15),
      });
    }
    if (resumeAfter < 0) break;
    remaining = remaining.slice(resumeAfter + 1);
    // Every file was reported: one run was enough.
    if (sections.length > 0 && sections.at(-1)!.verdict !== 'ERROR') break;
  }
  return findings;
}

/** twine's report taken apart: `Checking <file>: PASSED|FAILED|ERROR …`, then the finding lines. */
function parseTwineOutput(output: string): { file: string; verdict: string; lines: string[] }[] {
  const sections: { file: string; verdict: string; lines: string[] }[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trimEnd();
    const m = /^Checking (.+?): (PASSED with warnings|PASSED|FAILED|ERROR)\s*(.*)$/.exec(line);
    if (m) {
      sections.push({ file: m[1]!, verdict: m[2]!, lines: m[3] ? [m[3]] : [] });
    } else if (sections.length > 0 && line.trim() !== '') {
      sections.at(-1)!.lines.push(line.trim());
    }
  }
  return sections;
}

/** One Requires-Dist as `packaging` parsed it, or why it could not. */
export type PackagingRequirement =
  | { text: string; name: string; specifiers: { operator: string; version: string }[]; marker?: string }
  | { text: string; error: string };

// Reads a JSON list of requirement strings from argv[1]; prints one answer per string.
const PARSE_REQUIREMENTS = `
import json, sys
from packaging.requirements import InvalidRequirement, Requirement
out = []
for text in json.loads(sys.argv[1]):
    try:
        r = Requirement(text)
    except InvalidRequirement as error:
        out.append({"text": text, "error": str(error)})
        continue
    out.append({"text": text, "name": r.name, "marker": str(r.marker) if r.marker else None,
                "specifiers": [{"operator": s.operator, "version": s.version} for s in r.specifier]})
print(json.dumps(out))
`;

/**
 * Parses PEP 508 requirement strings with `packaging` (pip's own parser), from the pinned twine's
 * venv, which depends on it: no network. Returns one answer per input, in order.
 */
export async function parseRequirementsWithPackaging(
  requirements: readonly string[],
  options: ToolOptions,
): Promise<PackagingRequirement[]> {
  if (requirements.length === 0) return [];
  const tools = await twineTools(options);
  const { stdout } = await runTool(tools.python, ['-c', PARSE_REQUIREMENTS, JSON.stringify(requirements)]);
  const answers = JSON.parse(stdout.trim()) as Array<Record<string, unknown>>;
  return answers.map((a, index) => {
    const text = requirements[index]!;
    if (typeof a['error'] === 'string') return { text, error: a['error'] };
    return {
      text,
      name: String(a['name']),
      specifiers: a['specifiers'] as { operator: string; version: string }[],
      ...(typeof a['marker'] === 'string' ? { marker: a['marker'] } : {}),
    };
  });
}

/** The WHEEL_TARGETS key of the machine this runs on, or undefined. */
export function hostPlatform(
  platform: string = process.platform,
  arch: string = process.arch,
): string | undefined {
  const os = platform === 'linux' ? 'linux' : platform === 'darwin' ? 'darwin' : undefined;
  const cpu = arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'arm64' : undefined;
  return os && cpu ? `${os}-${cpu}` : undefined;
}

/** Where Debian's libc6-arm64-cross puts the arm64 loader and libraries, for `qemu-aarch64 -L`. */
export const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

interface InstallTestInput {
  dir: string;
  wheels: { name: string; platform: string; members: ArchiveMember[] }[];
  sdist: string | undefined;
  input: VerifyInput;
  release: string;
  log: (line: string) => void;
}

/**
 * The native install test: a fresh venv (the pinned uv), the host's wheel and the sdist (built into
 * a wheel first, its build backend from the configured index) installed with `--no-index
 * --find-links` from the release directory only, then each binary and the sdist's command run with
 * `--version`. On an x86-64 Linux host the linux-arm64 binary also runs, under qemu-aarch64.
 */
export async function runInstallTest(
  test: InstallTestInput,
): Promise<{ checks: string[]; problems: VerifyProblem[] }> {
  const { input, release, log } = test;
  const checks: string[] = [];
  const problems: VerifyProblem[] = [];
  const host = hostPlatform();
  const scratch = await mkdtemp(join(tmpdir(), 'wheel-release-verify-'));
  try {
    const native = test.wheels.filter((w) => w.platform === host);
    if (host === undefined || native.length !== 1) {
      checks.push(
        `install:${host ?? process.platform}: not run: ${host === undefined ? 'this machine is none of the wheel platforms' : `${native.length} readable wheels for ${host}`}`,
      );
    } else {
      const wheel = native[0]!;
      const tools = await provisionTools({ ...(input.home ? { home: input.home } : {}), log });
      const env = { ...toolEnv(tools), VIRTUAL_ENV: undefined };
      const venv = join(scratch, 'venv');
      const python = join(venv, 'bin', 'python');
      await runTool(tools.uv, ['venv', '--no-config', '--quiet', '--python', tools.python, venv], { env });
      const links = ['--find-links', test.dir];
      const wanted = [`${input.wheels.project}==${release}`];
      let failed = false;
      if (test.sdist !== undefined) {
        const built = join(scratch, 'built');
        log(`uv build --wheel ${test.sdist}`);
        try {
          await runTool(
            tools.uv,
            [
              'build',
              '--no-config',
              '--quiet',
              '--wheel',
              '--python',
              python,
              '--out-dir',
              built,
              join(test.dir, test.sdist),
            ],
            { env, tailLines: 20 },
          );
          links.push('--find-links', built);
          wanted.push(`${input.sdist.project}==${release}`);
        } catch (error) {
          failed = true;
          problems.push({
            file: test.sdist,
            check: 'install',
            message: `the sdist does not build: ${(error as Error).message}`,
          });
        }
      }
      if (!failed) {
        log(`uv pip install --no-index ${wanted.join(' ')}`);
        try {
          await runTool(
            tools.uv,
            [
              'pip',
              'install',
              '--no-config',
              '--quiet',
              '--python',
              python,
              '--no-index',
              ...links,
              ...wanted,
            ],
            { env, tailLines: 20 },
          );
        } catch (error) {
          failed = true;
          problems.push({
            file: wheel.name,
            check: 'install',
            message: `${wanted.join(' ')} does not install from the release directory: ${(error as Error).message}`,
          });
        }
      }
      if (!failed) {
        const bin = join(venv, 'bin');
        for (const binary of input.wheels.binaries) {
          const found = await checkVersionOutput(join(bin, binary), [], binary, test);
          if (found) problems.push({ file: wheel.name, check: 'version-output', message: found });
        }
        if (input.sdist.command !== undefined && test.sdist !== undefined) {
          const found = await checkVersionOutput(
            join(bin, input.sdist.command),
            [],
            input.sdist.command,
            test,
          );
          if (found) problems.push({ file: test.sdist, check: 'version-output', message: found });
        }
        checks.push(`install:${host}`);
      }
    }

    const arm = test.wheels.filter((w) => w.platform === 'linux-arm64');
    if (host === 'linux-amd64' && arm.length === 1) {
      const wheel = arm[0]!;
      if (!(await hasQemu())) {
        checks.push(
          'run:linux-arm64: not run: qemu-aarch64 missing (tools/scripts/setup-qemu-user.sh installs it)',
        );
      } else {
        for (const binary of input.wheels.binaries) {
          const member = wheel.members.find(
            (m) => m.bytes !== undefined && m.name.endsWith(`.data/scripts/${binary}`),
          );
          if (member === undefined) continue;
          const path = join(scratch, `arm64-${binary}`);
          await writeFile(path, member.bytes!);
          await chmod(path, 0o755);
          const found = await checkVersionOutput('qemu-aarch64', ['-L', ARM64_SYSROOT, path], binary, test);
          if (found)
            problems.push({
              file: wheel.name,
              check: 'version-output',
              message: `under qemu-aarch64: ${found}`,
            });
        }
        checks.push('run:linux-arm64 (qemu-aarch64)');
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return { checks, problems };
}

async function hasQemu(): Promise<boolean> {
  const { execa } = await import('execa');
  const probe = await execa('qemu-aarch64', ['--version'], { reject: false, stdin: 'ignore' });
  if (probe.exitCode !== 0) return false;
  return access(join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1')).then(
    () => true,
    () => false,
  );
}

/** Runs `<file> <args> --version`; returns what is wrong with its output, or undefined when it is right. */
async function checkVersionOutput(
  file: string,
  args: string[],
  prog: string,
  test: InstallTestInput,
): Promise<string | undefined> {
  const { execa } = await import('execa');
  const run = await execa(file, [...args, '--version'], { reject: false, stdin: 'ignore' });
  if (run.exitCode !== 0) {
    return `${prog} --version failed (${run.exitCode ?? run.shortMessage}): ${tailLines(String(run.stderr).trim(), 5)}`;
  }
  const out = String(run.stdout).trim();
  const m = /^(\S+) (\S+) \(([0-9a-f]{8})\)$/.exec(out);
  const sha = test.input.gitSha?.slice(0, 8);
  const expected = `${prog} ${test.release} (${sha ?? '<8 hex>'})`;
  // A Rust binary prints Cargo's spelling of a pre-release (0.2.31-dev1); PEP 440 reads it the same.
  const ok =
    m !== null &&
    m[1] === prog &&
    pep440.clean(m[2]!) === test.release &&
    (sha === undefined || m[3] === sha);
  return ok ? undefined : `${prog} --version printed ${JSON.stringify(out)}; expected "${expected}"`;
}
