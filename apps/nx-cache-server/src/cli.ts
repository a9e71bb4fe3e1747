import { execa } from 'execa';
import {
  EXIT,
  runCli,
  usageError,
  whenAborted,
  type CliApp,
  type CliIo,
  type CommandContext,
  type CommandDef,
  type OptionDefs,
} from '@packyard/core';
import {
  openCacheStore,
  parsePort,
  parseSize,
  readTokens,
  startCacheServer,
  type CacheEvent,
  type CacheServer,
  type CacheStats,
} from '@packyard/nx-cache';

/** What the CLI talks to: the process's streams and environment, and what stops `serve`. */
export interface NxCacheCliIo extends CliIo {
  env: Record<string, string | undefined>;
  /** Aborted when the process is asked to stop (SIGINT/SIGTERM). */
  stopSignal?: () => AbortSignal;
}

const OPTIONS: OptionDefs = {
  store: {
    type: 'string',
    value: 'LOCATION',
    description: 's3://BUCKET[/PREFIX] (account from AWS_* or R2_* variables) or a directory',
  },
  host: { type: 'string', value: 'HOST', description: 'address to listen on (default 127.0.0.1)' },
  port: { type: 'string', value: 'N', description: 'port (default: a free one)' },
  'max-entry-size': {
    type: 'string',
    value: 'SIZE',
    description: 'largest entry accepted, e.g. 2G (default 4G); larger uploads get 413',
  },
};

const TOKENS = `Tokens come from the environment, never the command line:
  NX_CACHE_WRITE_TOKEN   reads and writes (protected branches)
  NX_CACHE_READ_TOKEN    reads only: a PUT with it gets 403 (pull requests)
With neither set, a server on loopback lets every local client read and write; on any other
address it refuses to start. With --json each request is a {"type":"request"} line on stderr.`;

function renderEvent(event: CacheEvent): string {
  const what = event.hash === undefined ? '' : ` ${event.hash}`;
  const why = event.reason === undefined ? '' : ` (${event.reason})`;
  return `${event.method}${what} ${event.status} ${event.outcome} ${event.bytes} B ${event.ms} ms${why}\n`;
}

function describeStats(stats: CacheStats): string {
  return `${stats.hit} hits, ${stats.miss} misses, ${stats.stored} stored, ${stats.exists} already stored, ${stats.forbidden + stats.unauthorized} denied, ${stats.refused} refused, ${stats.error} errors`;
}

async function start(context: CommandContext): Promise<CacheServer> {
  const storeValue = context.required('store');
  const host = context.string('host') ?? '127.0.0.1';
  const port = parsePort(context.string('port'));
  const sizeText = context.string('max-entry-size');
  const maxEntryBytes = sizeText === undefined ? undefined : parseSize(sizeText);
  const tokens = readTokens(context.env, host);
  const { store, prefix } = openCacheStore(storeValue, context.env);
  return startCacheServer({
    store,
    prefix,
    tokens,
    host,
    port,
    ...(maxEntryBytes === undefined ? {} : { maxEntryBytes }),
    onEvent: (event) =>
      context.io.stderr(
        context.json ? `${JSON.stringify({ type: 'request', ...event })}\n` : renderEvent(event),
      ),
  });
}

function commands(io: NxCacheCliIo): Record<string, CommandDef> {
  return {
    serve: {
      summary: 'serve until stopped (SIGINT/SIGTERM); prints the URL on stdout when ready',
      options: OPTIONS,
      details: TOKENS,
      run: async (context) => {
        const server = await start(context);
        if (context.json) context.io.stderr(`${JSON.stringify({ type: 'ready', url: server.url })}\n`);
        else context.io.stdout(`${server.url}\n`);
        await whenAborted(io.stopSignal?.());
        await server.close();
        const stats = server.stats();
        return { result: { url: server.url, stats }, summary: describeStats(stats) };
      },
    },
    run: {
      summary:
        'a sidecar for one CI step: start, run COMMAND with NX_SELF_HOSTED_REMOTE_CACHE_SERVER (and _ACCESS_TOKEN) set, stop, exit with its code',
      args: '-- COMMAND [ARGS...]',
      positionals: true,
      options: OPTIONS,
      details: TOKENS,
      run: async (context) => {
        if (context.positionals.length === 0) {
          throw usageError('run needs a command after --', 'such as: -- npx nx run-many -t build');
        }
        const server = await start(context);
        const tokens = readTokens(context.env, '127.0.0.1');
        const token = tokens.write ?? tokens.read;
        const [program, ...programArgs] = context.positionals as [string, ...string[]];
        let exitCode: number;
        try {
          const result = await execa(program, programArgs, {
            stdio: 'inherit',
            reject: false,
            env: {
              NX_SELF_HOSTED_REMOTE_CACHE_SERVER: server.url,
              ...(token === undefined ? {} : { NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: token }),
            },
          });
          if (result.failed && result.exitCode === undefined) {
            context.log.error(`could not run ${program}: ${result.shortMessage}`);
            exitCode = EXIT.failed;
          } else exitCode = result.exitCode ?? EXIT.failed;
        } finally {
          await server.close();
        }
        const stats = server.stats();
        return { exitCode, result: { url: server.url, exitCode, stats }, summary: describeStats(stats) };
      },
    },
  };
}

/** The nx-cache-server command line. */
export function nxCacheServerApp(io: NxCacheCliIo): CliApp {
  return {
    name: 'nx-cache-server',
    packageJson: new URL('../package.json', import.meta.url),
    description: `A shared Nx task cache (Nx's self-hosted remote cache contract: GET/PUT /v1/cache/{hash}) over an
S3/R2 bucket or a directory. Writes are create-only: an entry, once stored, never changes.
'nx-cache-server --store LOCATION' is 'serve'; 'run' exits with COMMAND's own code.`,
    commands: commands(io),
    defaultCommand: 'serve',
    footer: TOKENS,
    exitCodes: [
      [EXIT.failed, 'failure not listed below; run: COMMAND could not be started'],
      [EXIT.auth, 'no token for a server beyond loopback, or no S3/R2 credentials for an s3:// store'],
      [EXIT.config, 'a bad --store, --port or --max-entry-size, or the same read and write token'],
    ],
  };
}

/** Runs the CLI and returns its exit code. Never calls process.exit. */
export function main(argv: readonly string[], io: NxCacheCliIo): Promise<number> {
  return runCli(nxCacheServerApp(io), argv, io);
}
