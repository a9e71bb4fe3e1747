import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { provisionTools, type Tools } from '@packyard/pex-builder';
import { main, type CliIo } from '../src/cli.js';

/** A fresh temporary directory. */
export function aTempDir(prefix = 'pkg-index-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes `files` (relative path → text) under `dir`. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  LC_ALL: 'C',
};

/** Runs git in `cwd` and returns its trimmed stdout; throws on failure. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await execa(
    'git',
    ['-c', 'protocol.file.allow=always', '-c', 'init.defaultBranch=main', ...args],
    {
      cwd,
      env: GIT_ENV,
    },
  );
  return String(result.stdout).trim();
}

/** Creates an empty bare repository at `path`. */
export async function aBareRepo(path: string): Promise<string> {
  await mkdir(path, { recursive: true });
  await git(path, 'init', '--quiet', '--bare');
  return path;
}

/** Commits everything in the work tree and returns the commit SHA. */
export async function commitAll(work: string, message: string): Promise<string> {
  await git(work, 'add', '--all');
  await git(work, 'commit', '--quiet', '-m', message);
  return git(work, 'rev-parse', 'HEAD');
}

/** Output of an in-process CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `pkg-index` in-process. */
export async function runCli(args: string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    cwd: io.cwd ?? process.cwd(),
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    ...io,
  });
  return { code, stdout, stderr };
}

let tools: Promise<Tools> | undefined;
/** packyard's provisioned tools venv (uv, python), made once per test file. */
export function theTools(): Promise<Tools> {
  tools ??= provisionTools();
  return tools;
}

/** sha256 of a file, hex. */
export async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Every file under `dir` (relative path → sha256), ignoring lock files: what "unchanged" compares. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.name.endsWith('.lock')) continue;
      if (entry.isDirectory()) await walk(path);
      else out[relative(dir, path)] = await sha256Of(path);
    }
  };
  await walk(dir);
  return out;
}

// Writes a minimal wheel with Python's zipfile; `metadata` overrides what METADATA claims, so a
// test can make the file name and the metadata disagree.
const WRITE_WHEEL = `
import json, sys, zipfile
spec = json.loads(sys.argv[1])
name, version = spec["name"], spec["version"]
dist_info = "%s-%s.dist-info" % (spec["distName"], version)
files = {
    spec["module"] + "/__init__.py": spec.get("code", "VALUE = 1\\n"),
    dist_info + "/METADATA": "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (spec.get("metaName", name), spec.get("metaVersion", version)),
    dist_info + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
files[dist_info + "/RECORD"] = "".join("%s,,\\n" % n for n in list(files) + [dist_info + "/RECORD"])
with zipfile.ZipFile(spec["path"], "w") as z:
    for n, text in files.items():
        info = zipfile.ZipInfo(n, (2020, 1, 1, 0, 0, 0))
        z.writestr(info, text)
`;

/** A hand-made wheel `<distName>-<version>-py3-none-any.whl` in `dir`, with METADATA as given. */
export async function aWheel(
  dir: string,
  spec: {
    name: string;
    version: string;
    metaName?: string;
    metaVersion?: string;
    code?: string;
    filename?: string;
  },
): Promise<string> {
  const distName = spec.name.replace(/[-_.]+/g, '_').toLowerCase();
  const path = join(dir, spec.filename ?? `${distName}-${spec.version}-py3-none-any.whl`);
  await mkdir(dir, { recursive: true });
  await execa('python3', ['-c', WRITE_WHEEL, JSON.stringify({ ...spec, distName, module: distName, path })]);
  return path;
}

/** Runs the built CLI (dist/main.js) as a child process, as a user would. */
export const MAIN_JS = join(import.meta.dirname, '..', 'dist', 'main.js');
