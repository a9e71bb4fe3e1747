import type { ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { PackyardError } from './errors.js';
import { sleep } from './retry.js';

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it), for a server to listen on. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` right now. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once('error', () => resolveConnect(false));
  });
}

/** What `waitUntilServing` waits for: a child process serving on a loopback port. */
export interface WaitUntilServingOptions {
  child: ChildProcess;
  port: number;
  /** The server's name in errors (`versitygw`, `pypiserver`). */
  name: string;
  /** Its log, named in errors. */
  logFile: string;
  /** A hang guard, far above any real start-up. */
  timeoutMs: number;
  /** Beyond accepting connections, e.g. a health endpoint answering 200. */
  ready?: (port: number) => Promise<boolean>;
  intervalMs?: number;
}

/**
 * Waits until `child` accepts connections on 127.0.0.1:`port` (and `ready` says yes). Throws
 * TOOL_FAILED naming the server and its log when the child exits first, or at the hang guard.
 */
export async function waitUntilServing(options: WaitUntilServingOptions): Promise<void> {
  const { child, port, name, logFile } = options;
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ?? String(code);
  });
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new PackyardError('TOOL_FAILED', `${name} exited (${exited}) before serving 127.0.0.1:${port}`, {
        file: logFile,
      });
    }
    if ((await canConnect(port)) && (options.ready === undefined || (await options.ready(port)))) return;
    await sleep(options.intervalMs ?? 50);
  }
  throw new PackyardError(
    'TOOL_FAILED',
    `${name} did not serve 127.0.0.1:${port} within ${options.timeoutMs} ms`,
    {
      file: logFile,
    },
  );
}

/**
 * Stops a child process and waits for it to exit: SIGTERM (then SIGKILL after 10 s) or SIGKILL at once.
 * Nothing happens when it has exited already.
 */
export async function stopChild(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  process.kill(child.pid, signal);
  if (signal === 'SIGTERM') {
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
        process.kill(child.pid, 'SIGKILL');
    }, 10_000);
    await exited;
    clearTimeout(timer);
  } else {
    await exited;
  }
}
