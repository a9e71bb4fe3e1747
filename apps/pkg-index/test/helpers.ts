import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { defaultPackyardHome, provisionTools, type Tools } from '@packyard/python-tools';
import {
  captureCli,
  downloadDistribution,
  fileDigests,
  sha256Of,
  treeSnapshot,
  type CliRun,
} from '@packyard/test-helpers';
import { main, type CliIo } from '../src/cli.js';

export type { CliRun };
/** sha256 of a file; every file's digest (what "unchanged" compares); the whole tree, directories too. */
export { sha256Of, fileDigests as snapshot, treeSnapshot };

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

/** Runs `pkg-index` in-process. */
export function runCli(args: string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  return captureCli((streams) => main(args, { cwd: process.cwd(), ...streams, ...io }));
}

let tools: Promise<Tools> | undefined;
/** packyard's provisioned tools venv (uv, python), made once per test file. */
export function theTools(): Promise<Tools> {
  tools ??= provisionTools();
  return tools;
}

// Writes a minimal wheel with Python's zipfile; `metadata` overrides what METADATA claims, so a
// test can make the file name and the metadata disagree.
const WRITE_WHEEL = `
import base64, hashlib, json, sys, zipfile
spec = json.loads(sys.argv[1])
name, version = spec["name"], spec["version"]
dist_info = "%s-%s.dist-info" % (spec["distName"], version)
files = {
    spec["module"] + "/__init__.py": spec.get("code", "VALUE = 1\\n"),
    dist_info + "/METADATA": "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (spec.get("metaName", name), spec.get("metaVersion", version)),
    dist_info + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
def record_line(n, text):
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d\\n" % (n, digest, len(text.encode()))
files[dist_info + "/RECORD"] = "".join(record_line(n, t) for n, t in files.items()) + dist_info + "/RECORD,,\\n"
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

/** A `pkg-index serve` child process, its base URL and port, and what it wrote to stderr so far. */
export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  port: number;
  log: () => string;
}

/** Spawns the built `pkg-index serve --port 0 ...args` and resolves with its base URL once it prints it. */
export async function spawnServe(
  args: readonly string[],
  env: Record<string, string | undefined> = process.env,
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [MAIN_JS, 'serve', '--port', '0', ...args], { env });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /at (http:\/\/127\.0\.0\.1:\d+)\/simple\//.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${log}`)));
  });
  return { child, url, port: Number(new URL(url).port), log: () => log };
}

/** A real wheel from the index pip is configured with, pinned, downloaded once into packyard's home. */
export function realDistribution(requirement: string): Promise<string> {
  return downloadDistribution(requirement, {
    python: 'python3',
    cacheRoot: join(defaultPackyardHome(), 'test-downloads'),
  });
}

/**
 * Copies a wheel to `out` with one member's compressed bytes damaged (16 bytes from the middle of
 * its data inverted), found through the zip's own headers; the directory and METADATA stay intact.
 */
export async function damageMember(wheel: string, member: string, out: string): Promise<string> {
  const { stdout } = await execa('python3', [
    '-c',
    'import sys, zipfile; i = zipfile.ZipFile(sys.argv[1]).getinfo(sys.argv[2]); print(i.header_offset, i.compress_size)',
    wheel,
    member,
  ]);
  const [offset, length] = stdout.trim().split(' ').map(Number) as [number, number];
  const bytes = await readFile(wheel);
  const start = offset + 30 + bytes.readUInt16LE(offset + 26) + bytes.readUInt16LE(offset + 28);
  const middle = start + Math.floor(length / 2) - 8;
  for (let i = middle; i < middle + 16; i += 1) bytes[i] = (bytes[i] as number) ^ 0xff;
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, bytes);
  return out;
}
