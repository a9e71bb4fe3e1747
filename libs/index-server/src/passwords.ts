import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PackyardError } from '@packyard/core';
import bcrypt from 'bcryptjs';

/** The result of checking an `Authorization` header. */
export type AuthResult = { kind: 'ok'; user: string } | { kind: 'missing' } | { kind: 'invalid' };

/** HTTP basic credentials (RFC 7617) as sent, or why there are none. Pure. */
export function parseBasicAuth(
  header: string | undefined,
): { user: string; password: string } | 'missing' | 'invalid' {
  const match = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header ?? '');
  if (match?.[1] === undefined) return 'missing';
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'invalid';
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The bcrypt cost (log2 rounds) of a modular-crypt hash, or undefined. Pure. */
export function bcryptCost(hash: string): number | undefined {
  const match = /^\$2[aby]\$(\d\d)\$/.exec(hash);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

// A hash to compare against when the user does not exist, at the highest cost any configured user
// has, so an unknown name costs the same time as a wrong password and timing reveals no names.
const dummyHashes = new Map<number, string>();
function dummyHash(users: ReadonlyMap<string, string>): string {
  const cost = Math.max(4, ...[...users.values()].map((hash) => bcryptCost(hash) ?? 4));
  let hash = dummyHashes.get(cost);
  if (hash === undefined) {
    hash = bcrypt.hashSync('packyard-no-such-user', cost);
    dummyHashes.set(cost, hash);
  }
  return hash;
}

/** The hash to compare a user's password with: theirs, or the dummy at the same cost. */
export function hashToCompare(users: ReadonlyMap<string, string>, user: string): string {
  return users.get(user) ?? dummyHash(users);
}

/** Checks HTTP basic credentials against the configured bcrypt hashes, on the calling thread. */
export async function verifyBasicAuth(
  header: string | undefined,
  users: ReadonlyMap<string, string>,
): Promise<AuthResult> {
  const credentials = parseBasicAuth(header);
  if (typeof credentials === 'string') return { kind: credentials };
  const ok = await bcrypt.compare(credentials.password, hashToCompare(users, credentials.user));
  return ok && users.has(credentials.user) ? { kind: 'ok', user: credentials.user } : { kind: 'invalid' };
}

/** Options of createPasswordPool. */
export interface PasswordPoolOptions {
  /** Worker threads (default: the cores less one, at least 1, at most 4). */
  size?: number;
  /** Checks waiting for a worker beyond which a new one is refused as busy (default 64). */
  maxQueue?: number;
}

/** Bcrypt checks on worker threads, so a flood of logins never blocks the event loop. */
export interface PasswordPool {
  /** Checks credentials; `busy` when the queue is full (answer 503 with Retry-After). */
  verify(
    header: string | undefined,
    users: ReadonlyMap<string, string>,
  ): Promise<AuthResult | { kind: 'busy' }>;
  close(): Promise<void>;
}

// The worker runs bcryptjs' synchronous compare: the thread is its own, so blocking it is the point.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcrypt);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;

interface Job {
  id: number;
  password: string;
  hash: string;
  resolve: (ok: boolean) => void;
  reject: (error: Error) => void;
}

/** Starts a bounded pool of bcrypt workers (see PasswordPool). */
export function createPasswordPool(options: PasswordPoolOptions = {}): PasswordPool {
  const size = options.size ?? Math.min(4, Math.max(1, availableParallelism() - 1));
  const maxQueue = options.maxQueue ?? 64;
  const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
  const idle: Worker[] = [];
  const running = new Map<Worker, Job>();
  const queue: Job[] = [];
  let nextId = 0;
  let closed = false;

  const spawn = (): void => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcrypt: bcryptPath } });
    worker.unref();
    worker.on('message', ({ ok }: { id: number; ok: boolean }) => {
      const job = running.get(worker);
      running.delete(worker);
      job?.resolve(ok);
      idle.push(worker);
      pump();
    });
    worker.on('error', (error) => {
      const job = running.get(worker);
      running.delete(worker);
      job?.reject(error);
      if (!closed) spawn();
      pump();
    });
    idle.push(worker);
  };
  const pump = (): void => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop()!;
      const job = queue.shift()!;
      running.set(worker, job);
      worker.postMessage({ id: job.id, password: job.password, hash: job.hash });
    }
  };
  for (let i = 0; i < size; i += 1) spawn();

  const compare = (password: string, hash: string): Promise<boolean> | undefined => {
    if (closed) throw new PackyardError('INTERNAL', 'the password pool is closed');
    if (queue.length >= maxQueue) return undefined;
    return new Promise<boolean>((resolve, reject) => {
      queue.push({ id: (nextId += 1), password, hash, resolve, reject });
      pump();
    });
  };

  return {
    async verify(header, users) {
      const credentials = parseBasicAuth(header);
      if (typeof credentials === 'string') return { kind: credentials };
      const pending = compare(credentials.password, hashToCompare(users, credentials.user));
      if (pending === undefined) return { kind: 'busy' };
      const ok = await pending;
      return ok && users.has(credentials.user) ? { kind: 'ok', user: credentials.user } : { kind: 'invalid' };
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('the password pool closed'));
      await Promise.all([...idle, ...running.keys()].map((worker) => worker.terminate()));
    },
  };
}
