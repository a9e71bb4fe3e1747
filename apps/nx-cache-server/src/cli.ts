import { execa } from 'execa';
import {
  PackyardError,
  UsageError,
  parseCommandLine,
  toPackyardError,
  type CommandSpec,
  type ErrorCode,
} from '@packyard/core';
import { startCacheServer, type CacheEvent, type CacheServer, type CacheStats } from '@packyard/nx-cache';
import { openObjectStore } from '@packyard/r2-store';
import { parseSize, parseStoreLocation, readTokens } from './options.js';

export const USAGE = `usage: nx-cache-server [serve] --store LOCATION [options]
       nx-cache-server run --store LOCATION [options] -- COMMAND [ARGS...]

A shared Nx task cache (Nx's self-hosted remote cache contract: GET/PUT /v1/cache/{hash}) over an
S3/R2 bucket or a directory. Writes are create-only: an entry, once stored, never changes.

Commands:
  serve      serve until stopped (SIGINT/SIGTERM); prints the URL on stdout when ready
  run        a sidecar for one CI step: start, run COMMAND with NX_SELF_HOSTED_REMOTE_CACHE_SERVER
             and NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN set, stop, exit with COMMAND's code

Options:
  --store LOCATION       s3://BUCKET[/PREFIX] (account from AWS_* or R2_* variables) or a directory
  --host HOST            address to listen on (default 127.0.0.1)
  --port N               port (default: a free one)
  --max-entry-size SIZE  largest entry accepted, e.g. 2G (default 4G); larger uploads get 413
  --json                 the access log as JSON lines on stderr (one per request, then a summary)
  -h, --help             show this help

Tokens come from the environment, never the command line:
  NX_CACHE_WRITE_TOKEN   reads and writes (protected branches)
  NX_CACHE_READ_TOKEN    reads only: a PUT with it gets 403 (pull requests)
With neither set, a server on loopback lets every local client read and write; on any other
address it refuses to start.

Exit codes:
  0   stopped by a signal (serve); COMMAND's own code (run)
  1   failure not listed below
  2   usage: unknown command or option, a missing or bad value
  3   no token for a server beyond loopback, or no S3/R2 credentials for an s3:// store
  6   a bad --store, --port or --max-entry-size
  70  internal error`;

const SPEC: CommandSpec = {
  options: {
    store: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'max-entry-size': { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: true,
};

const USAGE_EXITS = { badValue: 2, unknownOption: 2, unexpectedArgument: 2, missingOption: 2 };

const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  AUTH_MISSING: 3,
  AUTH_FAILED: 3,
  CONFIG_INVALID: 6,
  CONFIG_MISSING: 6,
  INTERNAL: 70,
};

/** What the CLI talks to: its streams, environment and the signals that stop `serve`. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopped: Promise<void>;
}

function renderEvent(event: CacheEvent): string {
  const what = event.hash === undefined ? '' : ` ${event.hash}`;
  const why = event.reason === undefined ? '' : ` (${event.reason})`;
  return `${event.method}${what} ${event.status} ${event.outcome} ${event.bytes} B ${event.ms} ms${why}\n`;
}

function renderSummary(stats: CacheStats, json: boolean): string {
  if (json) return `${JSON.stringify({ summary: stats })}\n`;
  return `nx-cache-server: ${stats.hit} hits, ${stats.miss} misses, ${stats.stored} stored, ${stats.exists} already stored, ${stats.forbidden + stats.unauthorized} denied, ${stats.refused} refused, ${stats.error} errors\n`;
}

async function start(values: Record<string, string | boolean | undefined>, io: CliIo): Promise<CacheServer> {
  const storeValue = values.store;
  if (typeof storeValue !== 'string' || storeValue === '') throw new UsageError(2, '--store is required');
  const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
  let port = 0;
  if (typeof values.port === 'string') {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new PackyardError('CONFIG_INVALID', `--port ${JSON.stringify(values.port)} is not a port`, {
        field: '--port',
        value: values.port,
      });
    }
  }
  const maxEntryBytes =
    typeof values['max-entry-size'] === 'string' ? parseSize(values['max-entry-size']) : undefined;
  const tokens = readTokens(io.env, host);
  const { location, prefix } = parseStoreLocation(storeValue);
  const store = openObjectStore(location, { env: io.env });
  const json = values.json === true;
  return startCacheServer({
    store,
    prefix,
    tokens,
    host,
    port,
    ...(maxEntryBytes === undefined ? {} : { maxEntryBytes }),
    onEvent: (event) => io.stderr(json ? `${JSON.stringify(event)}\n` : renderEvent(event)),
  });
}

/** Runs the CLI and returns its exit code. Never calls process.exit. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  const command = first === 'run' || first === 'serve' ? first : 'serve';
  const args = first === 'run' || first === 'serve' ? rest : argv;
  try {
    if (first === undefined || first === '--help' || first === '-h') {
      io.stdout(`${USAGE}\n`);
      return first === undefined ? 2 : 0;
    }
    const parsed = parseCommandLine(command, SPEC, args, USAGE_EXITS);
    if (parsed.values.help === true) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if (command === 'serve' && parsed.positionals.length > 0) {
      throw new UsageError(
        2,
        `unexpected argument ${JSON.stringify(parsed.positionals[0])} (commands: serve, run)`,
      );
    }
    if (command === 'run' && parsed.positionals.length === 0) {
      throw new UsageError(2, 'run needs a command after --, such as: -- npx nx run-many -t build');
    }
    const server = await start(parsed.values, io);
    const json = parsed.values.json === true;
    if (command === 'serve') {
      io.stdout(`${server.url}\n`);
      await io.stopped;
      await server.close();
      io.stderr(renderSummary(server.stats(), json));
      return 0;
    }
    const tokens = readTokens(io.env, '127.0.0.1');
    const token = tokens.write ?? tokens.read;
    const [program, ...programArgs] = parsed.positionals as [string, ...string[]];
    try {
      const child = execa(program, programArgs, {
        stdio: 'inherit',
        reject: false,
        env: {
          NX_SELF_HOSTED_REMOTE_CACHE_SERVER: server.url,
          ...(token === undefined ? {} : { NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: token }),
        },
      });
      const result = await child;
      if (result.failed && result.exitCode === undefined) {
        io.stderr(`nx-cache-server: could not run ${program}: ${result.shortMessage}\n`);
        return 1;
      }
      return result.exitCode ?? 1;
    } finally {
      await server.close();
      io.stderr(renderSummary(server.stats(), json));
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`nx-cache-server: ${error.message}\nRun nx-cache-server --help for usage.\n`);
      return error.exitCode;
    }
    const failure = toPackyardError(error);
    io.stderr(`nx-cache-server: ${failure.format()}\n`);
    return EXIT_CODES[failure.code] ?? 1;
  }
}
