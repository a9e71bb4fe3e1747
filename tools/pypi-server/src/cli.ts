import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  PackyardError,
  UsageError,
  isProcessAlive,
  parseCommandLine,
  toPackyardError,
  writeFileAtomically,
  type CommandOptions,
} from '@packyard/core';
import { startPypiServer } from './server.js';

export const USAGE = `usage: pypi-server <command> --dir DIR [options]

A local package index for trying uploads: pypiserver (pinned, installed on first use) on 127.0.0.1,
uploads behind htpasswd basic auth, no account and no token. Nothing prompts.

Commands:
  start    start the server in the background; print its upload URL, index URL and credentials file
  status   print the running server's URLs and credentials file (exit 3 when it is not running)
  stop     stop the server started in DIR

Options:
  --dir DIR        the server's directory: packages/, htpasswd, credentials, server.json, pypiserver.log
  --port PORT      start: the loopback port (default a free one)
  --user NAME      start: the upload user (default packyard; its password is generated)
  --json           print one JSON document
  -h, --help       show this help

The credentials file holds TWINE_USERNAME=… and TWINE_PASSWORD=… lines (mode 0600): source it, or
pass its values to twine or to wheel-release publish.

Exit codes:
  0   done
  1   failure not listed below (the server did not start, or could not be stopped)
  2   usage: unknown command or option, a missing or bad value
  3   status, stop: no server is running from DIR
  4   start: a server is already running from DIR`;

/** The documented exit codes. */
export const EXIT = { ok: 0, failure: 1, usage: 2, notRunning: 3, running: 4 } as const;

/** What `start` records in `<dir>/server.json`, for `status` and `stop`. */
export interface ServerRecord {
  pid: number;
  port: number;
  repositoryUrl: string;
  indexUrl: string;
  credentialsFile: string;
  packagesDir: string;
  logFile: string;
}

/** The process around `main`. */
export interface CliIo {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const OPTIONS: Readonly<Record<string, CommandOptions>> = {
  start: {
    dir: { type: 'string' },
    port: { type: 'string' },
    user: { type: 'string' },
    json: { type: 'boolean' },
  },
  status: { dir: { type: 'string' }, json: { type: 'boolean' } },
  stop: { dir: { type: 'string' }, json: { type: 'boolean' } },
};

const USAGE_EXITS = {
  badValue: EXIT.usage,
  unknownOption: EXIT.usage,
  unexpectedArgument: EXIT.usage,
  missingOption: EXIT.usage,
};

/** The whole command line; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    (command === undefined ? io.stderr : io.stdout)(`${USAGE}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (!Object.hasOwn(OPTIONS, command)) {
    io.stderr(`pypi-server: unknown command ${JSON.stringify(command)}\n  try 'pypi-server --help'\n`);
    return EXIT.usage;
  }
  const json = rest.includes('--json');
  try {
    const { values } = parseCommandLine(command, { options: OPTIONS[command]! }, rest, USAGE_EXITS);
    if (values['help'] === true) {
      io.stdout(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (typeof values['dir'] !== 'string' || values['dir'] === '')
      throw new UsageError(EXIT.usage, '--dir DIR is required');
    const dir = resolve(io.cwd, values['dir']);
    const print = (value: unknown, text: string): void =>
      io.stdout(`${json ? JSON.stringify(value) : text}\n`);
    if (command === 'start') return await start(dir, values, print, io);
    const record = await readRecord(dir);
    if (record === undefined || !isProcessAlive(record.pid)) {
      if (record !== undefined) await rm(join(dir, 'server.json'), { force: true });
      io.stderr(`pypi-server ${command}: no server is running from ${dir}\n`);
      if (json) print({ running: false, dir }, '');
      return EXIT.notRunning;
    }
    if (command === 'status') {
      print({ running: true, ...record }, describe(record));
      return EXIT.ok;
    }
    process.kill(record.pid, 'SIGTERM');
    if (!(await exited(record.pid))) process.kill(record.pid, 'SIGKILL');
    await rm(join(dir, 'server.json'), { force: true });
    print(
      { stopped: true, pid: record.pid },
      `stopped pypiserver (pid ${record.pid}) at ${record.repositoryUrl}`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`pypi-server ${command}: ${error.message}\n  try 'pypi-server --help'\n`);
      return error.exitCode;
    }
    const failure = toPackyardError(error);
    if (json) io.stdout(`${JSON.stringify({ error: { code: failure.code, message: failure.message } })}\n`);
    io.stderr(`error: ${failure.format()}\n`);
    return EXIT.failure;
  }
}

async function start(
  dir: string,
  values: Record<string, unknown>,
  print: (value: unknown, text: string) => void,
  io: CliIo,
): Promise<number> {
  const existing = await readRecord(dir);
  if (existing !== undefined && isProcessAlive(existing.pid)) {
    io.stderr(`pypi-server start: a server is already running from ${dir} (pid ${existing.pid})\n`);
    print({ running: true, ...existing }, describe(existing));
    return EXIT.running;
  }
  const portText = values['port'];
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
    throw new UsageError(EXIT.usage, `--port must be a port number, not ${JSON.stringify(portText)}`);
  const user = typeof values['user'] === 'string' ? values['user'] : 'packyard';
  if (!/^[A-Za-z0-9._-]+$/.test(user))
    throw new UsageError(EXIT.usage, `--user must be a plain name, not ${JSON.stringify(user)}`);
  const { randomBytes } = await import('node:crypto');
  const server = await startPypiServer({
    dir,
    ...(port === undefined ? {} : { port }),
    users: { [user]: randomBytes(12).toString('hex') },
    detached: true,
  });
  const credentialsFile = join(dir, 'credentials');
  await writeFileAtomically(
    credentialsFile,
    `TWINE_REPOSITORY_URL=${server.repositoryUrl}\nTWINE_USERNAME=${user}\nTWINE_PASSWORD=${server.users[user]}\n`,
    0o600,
  );
  const record: ServerRecord = {
    pid: server.pid,
    port: server.port,
    repositoryUrl: server.repositoryUrl,
    indexUrl: server.indexUrl,
    credentialsFile,
    packagesDir: server.packagesDir,
    logFile: server.logFile,
  };
  await writeFileAtomically(join(dir, 'server.json'), `${JSON.stringify(record, null, 2)}\n`);
  print({ running: true, ...record }, describe(record));
  return EXIT.ok;
}

function describe(record: ServerRecord): string {
  return [
    `pypiserver running (pid ${record.pid})`,
    `  upload:      ${record.repositoryUrl}`,
    `  index:       ${record.indexUrl}`,
    `  credentials: ${record.credentialsFile}`,
  ].join('\n');
}

async function readRecord(dir: string): Promise<ServerRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'server.json'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as ServerRecord;
  } catch (error) {
    throw new PackyardError('CONFIG_INVALID', 'is not JSON', {
      file: join(dir, 'server.json'),
      cause: error,
    });
  }
}

async function exited(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!isProcessAlive(pid)) return true;
    await new Promise((done) => setTimeout(done, 100));
  }
  return false;
}
