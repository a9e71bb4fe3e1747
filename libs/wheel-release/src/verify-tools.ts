import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pep440 from '@renovatebot/pep440';
import { PackyardError, runTool, tailLines } from '@packyard/core';
import { resolveIndexUrl } from '@packyard/pypi-client';
import { provisionPythonTools, provisionTools, toolEnv, type PythonToolSet } from '@packyard/python-tools';
import type { ArchiveMember } from './inspect/archive.js';
import type { VerifyInput, VerifyProblem } from './verify.js';

interface ToolOptions {
  home?: string | undefined;
  log?: ((line: string) => void) | undefined;
}

// One provisioning per packyard home and process: the venv is checked once (an interpreter probe and
// the marker, about 0.3 s), not on every release verified.
const twineByHome = new Map<string, Promise<PythonToolSet>>();

/** Provisions the pinned twine (its venv also holds `packaging`, for requirement parsing), once per home. */
export function provisionTwine(options: ToolOptions): Promise<PythonToolSet> {
  const key = options.home ?? '';
  let tools = twineByHome.get(key);
  if (tools === undefined) {
    tools = provisionPythonTools({
      tools: ['twine'],
      ...(options.home ? { home: options.home } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    // A failed provisioning is not kept: the next call tries again.
    tools.catch(() => twineByHome.delete(key));
    twineByHome.set(key, tools);
  }
  return tools;
}

/** One Requires-Dist as `packaging` parsed it, or why it could not. */
export type PackagingRequirement =
  | { text: string; name: string; specifiers: { operator: string; version: string }[]; marker?: string }
  | { text: string; error: string };

/** What the Python side found: twine's findings by file path, and each requirement parsed. */
export interface PythonCheckResult {
  twine: Map<string, string>;
  requirements: PackagingRequirement[];
}

// Runs in the twine venv. argv[1] is {"files": [...], "requirements": [...]}. Parses each
// requirement with packaging (pip's own parser), then runs twine's own check (what `twine check
// --strict` runs) on each file in turn, so one unreadable file does not stop the others and one
// process serves a whole release set. Each part is introduced by a line starting with \x1e (after a
// newline: twine's "Checking <file>: " has none). twine is imported only when there are files.
const PYTHON_CHECKS = `
import json, sys
from packaging.requirements import InvalidRequirement, Requirement
request = json.loads(sys.argv[1])
out = []
for text in request["requirements"]:
    try:
        r = Requirement(text)
    except InvalidRequirement as error:
        out.append({"text": text, "error": str(error)})
        continue
    out.append({"text": text, "name": r.name, "marker": str(r.marker) if r.marker else None,
                "specifiers": [{"operator": s.operator, "version": s.version} for s in r.specifier]})
def mark(kind, value):
    sys.stdout.flush()
    sys.stdout.write("\\n\\x1e" + kind + " " + json.dumps(value) + "\\n")
    sys.stdout.flush()
mark("requirements", out)
if request["files"]:
    from twine import cli, exceptions
    from twine.commands import check as twine_check
    cli.configure_output()
for path in request["files"]:
    mark("file", path)
    try:
        failed = twine_check.check([path], strict=True)
        mark("result", "failed" if failed else "ok")
    except exceptions.TwineException as error:
        mark("error", type(error).__name__ + ": " + str(error))
    except Exception as error:
        mark("error", "twine cannot read it: " + type(error).__name__ + ": " + str(error))
`;

// Rich (twine's console) wraps at the terminal width and colours its verdicts.
const PLAIN_OUTPUT = { COLUMNS: '100000', NO_COLOR: '1', TERM: 'dumb' };
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Runs `twine check --strict`'s check (the pinned twine) on each of `files` and parses each of
 * `requirements` with `packaging` from the same venv, in one Python process: no network.
 */
export async function runPythonChecks(
  tools: PythonToolSet,
  files: readonly string[],
  requirements: readonly string[],
): Promise<PythonCheckResult> {
  if (files.length === 0 && requirements.length === 0) return { twine: new Map(), requirements: [] };
  const { stdout } = await runTool(
    tools.python,
    ['-c', PYTHON_CHECKS, JSON.stringify({ files, requirements })],
    {
      env: PLAIN_OUTPUT,
      tailLines: 20,
    },
  );
  const twine = new Map<string, string>();
  let parsed: Array<Record<string, unknown>> | undefined;
  let file: string | undefined;
  let lines: string[] = [];
  for (const raw of stdout.replace(ANSI, '').split('\n')) {
    if (!raw.startsWith('\u001e')) {
      const line = raw.trim();
      // twine's own "Checking <file>: PASSED" line is the verdict, already read from `result`.
      if (line !== '') lines.push(line);
      continue;
    }
    const space = raw.indexOf(' ');
    const kind = raw.slice(1, space);
    const value = JSON.parse(raw.slice(space + 1)) as unknown;
    if (kind === 'requirements') parsed = value as Array<Record<string, unknown>>;
    else if (kind === 'file') {
      file = String(value);
      lines = [];
    } else if (file !== undefined && (kind === 'result' || kind === 'error')) {
      if (kind === 'error') twine.set(file, String(value));
      else if (value === 'failed') {
        // Rich may wrap twine's "Checking <file>: FAILED" line; what follows the verdict is the finding.
        const text = lines.join(' ').replace(/\s+/g, ' ').trim();
        const finding = text.replace(/^Checking [\s\S]*?: (?=FAILED)/, '').replace(/^FAILED(?! due)\s*/, '');
        twine.set(file, finding || 'FAILED');
      }
      file = undefined;
    }
  }
  if (parsed === undefined || parsed.length !== requirements.length) {
    throw new PackyardError('INTERNAL', 'the twine / packaging checks returned an unexpected answer', {
      value: tailLines(stdout, 10),
    });
  }
  return {
    twine,
    requirements: parsed.map((a, index) => {
      const text = requirements[index]!;
      if (typeof a['error'] === 'string') return { text, error: a['error'] };
      return {
        text,
        name: String(a['name']),
        specifiers: a['specifiers'] as { operator: string; version: string }[],
        ...(typeof a['marker'] === 'string' ? { marker: a['marker'] } : {}),
      };
    }),
  };
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
      // The sdist's build backend (and only it) comes from an index: the one pip is configured with,
      // passed through the environment so no credentials in it reach an argument list or a message.
      const index = input.indexUrl ?? (await resolveIndexUrl()).url;
      const env = { ...toolEnv(tools), VIRTUAL_ENV: undefined, UV_DEFAULT_INDEX: index };
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
