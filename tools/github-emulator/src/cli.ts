import { parseArgs } from 'node:util';
import { startGitHubEmulator } from './emulator.js';

/** The process around the CLI, passed in so tests run it in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Environment variables, read for `--token-env`. */
  env: Record<string, string | undefined>;
  /** Aborted on SIGTERM/SIGINT: the emulator then closes and the CLI returns. */
  signal: AbortSignal;
}

/** A `--repo` argument: `owner/name` with optional `:immutable` and `:private` flags. */
export interface RepoSpec {
  owner: string;
  name: string;
  immutableReleases: boolean;
  private: boolean;
}

const USAGE = `usage: github-emulator [--port N] [--repo owner/name[:immutable][:private]]... [--token T]... [--token-env VAR]...

Serves a loopback GitHub (api, uploads and web origins) and prints one JSON line
{"apiUrl","uploadsUrl","webUrl"} once listening. Runs until SIGTERM or SIGINT.
`;

/** Parses `owner/name[:immutable][:private]`; undefined when malformed. */
export function parseRepoSpec(text: string): RepoSpec | undefined {
  const [path = '', ...flags] = text.split(':');
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(path);
  if (match === null || flags.some((flag) => flag !== 'immutable' && flag !== 'private')) return undefined;
  return {
    owner: match[1]!,
    name: match[2]!,
    immutableReleases: flags.includes('immutable'),
    private: flags.includes('private'),
  };
}

/** Runs the emulator CLI; resolves with the exit code once `io.signal` aborts (or on a usage error). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '0' },
        repo: { type: 'string', multiple: true, default: [] },
        token: { type: 'string', multiple: true, default: [] },
        'token-env': { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65533) {
    io.stderr(`--port must be an integer from 0 to 65533, got ${JSON.stringify(values.port)}\n${USAGE}`);
    return 2;
  }
  const repos: RepoSpec[] = [];
  for (const text of values.repo) {
    const spec = parseRepoSpec(text);
    if (spec === undefined) {
      io.stderr(
        `--repo must look like owner/name[:immutable][:private], got ${JSON.stringify(text)}\n${USAGE}`,
      );
      return 2;
    }
    repos.push(spec);
  }
  const tokens = [...values.token];
  for (const variable of values['token-env']) {
    const token = io.env[variable];
    if (token === undefined || token === '') {
      io.stderr(`--token-env ${variable}: the variable is not set\n`);
      return 2;
    }
    tokens.push(token);
  }

  const emulator = await startGitHubEmulator({ port });
  for (const repo of repos) {
    emulator.createRepo(repo.owner, repo.name, {
      immutableReleases: repo.immutableReleases,
      private: repo.private,
    });
  }
  for (const token of tokens) emulator.addToken(token);
  io.stdout(
    `${JSON.stringify({ apiUrl: emulator.apiUrl, uploadsUrl: emulator.uploadsUrl, webUrl: emulator.webUrl })}\n`,
  );
  if (!io.signal.aborted) {
    await new Promise<void>((resolve) =>
      io.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }
  await emulator.close();
  return 0;
}
