import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  PackyardError,
  freeLoopbackPort,
  stopChild,
  waitUntilServing,
  writeFileAtomically,
} from '@packyard/core';
import { provisionPypiServer, type ProvisionPypiServerOptions } from './provision.js';

/** Options for `startPypiServer`. */
export interface PypiServerOptions {
  /** Holds `packages/` (what the index serves), `htpasswd` and `pypiserver.log`. */
  dir: string;
  /** Loopback port; default a free one. Pass the port of a stopped server to bring it back. */
  port?: number;
  /** Users allowed to upload, name → password; default one random `packyard` user. */
  users?: Record<string, string>;
  provision?: ProvisionPypiServerOptions;
  /** How long to wait for the server to answer its health endpoint; far above a real start. */
  startTimeoutMs?: number;
  /** Let the server outlive this process (its own process group, not waited for): the command line's `start`. */
  detached?: boolean;
}

/** A running pypiserver on loopback. */
export interface PypiServer {
  /** `http://127.0.0.1:PORT/`: the upload URL (`twine upload --repository-url`). */
  repositoryUrl: string;
  /** `http://127.0.0.1:PORT/simple/`: the PEP 503 index pip and uv install from. */
  indexUrl: string;
  port: number;
  /** The users and passwords the server accepts for uploads. */
  users: Record<string, string>;
  /** Where uploaded files land, one file per upload. */
  packagesDir: string;
  htpasswd: string;
  /** pypiserver's log: one `User 'x' stored 'file'` line per stored upload. */
  logFile: string;
  pid: number;
  /** Adds (or changes) a user; pypiserver rereads the htpasswd file when it changes. */
  addUser(name: string, password: string): Promise<void>;
  /** The file names the server's log says were stored, in order (a re-upload shows twice). */
  storedUploads(): Promise<string[]>;
  /** Stops the server (SIGTERM, then SIGKILL), by its process id. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL): an index dying mid-upload. */
  kill(): Promise<void>;
}

/**
 * Starts the pinned pypiserver on 127.0.0.1 with uploads behind htpasswd basic auth, no fallback to
 * pypi.org (a missing project is a 404, as on a real index), sha256 fragments on every link, and the
 * plain directory backend, so what it lists is exactly what `packagesDir` holds.
 */
export async function startPypiServer(options: PypiServerOptions): Promise<PypiServer> {
  const dir = resolve(options.dir);
  const install = await provisionPypiServer(options.provision);
  const packagesDir = join(dir, 'packages');
  await mkdir(packagesDir, { recursive: true });
  const htpasswd = join(dir, 'htpasswd');
  const users: Record<string, string> = {
    ...(options.users ?? { packyard: randomBytes(12).toString('hex') }),
  };
  await writeHtpasswd(htpasswd, users);
  const logFile = join(dir, 'pypiserver.log');

  let lastError: unknown;
  for (let attempt = 0; attempt < (options.port === undefined ? 5 : 1); attempt++) {
    const port = options.port ?? (await freeLoopbackPort());
    const log = await open(logFile, 'a');
    const child = spawn(
      install.pypiServer,
      [
        'run',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--authenticate',
        'update',
        '--passwords',
        htpasswd,
        '--disable-fallback',
        '--hash-algo',
        'sha256',
        '--backend',
        'simple-dir',
        '--server',
        'wsgiref',
        '-v',
        packagesDir,
      ],
      { stdio: ['ignore', log.fd, log.fd], detached: options.detached === true },
    );
    if (options.detached === true) child.unref();
    await log.close();
    try {
      await waitUntilServing({
        child,
        port,
        name: 'pypiserver',
        logFile,
        timeoutMs: options.startTimeoutMs ?? 120_000,
        ready: healthy,
        intervalMs: 100,
      });
    } catch (error) {
      lastError = error;
      await stopChild(child, 'SIGKILL');
      continue;
    }
    return {
      repositoryUrl: `http://127.0.0.1:${port}/`,
      indexUrl: `http://127.0.0.1:${port}/simple/`,
      port,
      users,
      packagesDir,
      htpasswd,
      logFile,
      pid: child.pid as number,
      addUser: async (name, password) => {
        users[name] = password;
        await writeHtpasswd(htpasswd, users);
      },
      storedUploads: async () => {
        const text = await readFile(logFile, 'utf8');
        return [...text.matchAll(/User '[^']*' stored '([^']+)'/g)].map((match) => match[1] as string);
      },
      stop: () => stopChild(child, 'SIGTERM'),
      kill: () => stopChild(child, 'SIGKILL'),
    };
  }
  throw lastError;
}

/** The htpasswd line for a user: passlib's `{SHA}` scheme (what `htpasswd -s` writes). Pure. */
export function htpasswdLine(name: string, password: string): string {
  if (name.includes(':') || name.includes('\n')) {
    throw new PackyardError('CONFIG_INVALID', `user name ${JSON.stringify(name)} cannot go in htpasswd`, {
      field: 'users',
      value: name,
    });
  }
  return `${name}:{SHA}${createHash('sha1').update(password).digest('base64')}`;
}

async function writeHtpasswd(file: string, users: Record<string, string>): Promise<void> {
  const lines = Object.entries(users).map(([name, password]) => htpasswdLine(name, password));
  await writeFileAtomically(file, `${lines.join('\n')}\n`);
}

async function healthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
