import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { PackyardError } from '@packyard/core';
import type { ArchiveDigests } from './hash.js';

/**
 * The compressor a worker thread runs: a stream factory of zstd-napi or lzma-native and its options.
 * The options are what fix the bytes, so they are built by the caller (tar.ts), never in the worker.
 */
export interface WorkerCompressor {
  module: 'zstd-napi' | 'lzma-native';
  /** `CompressStream` is a class (`new`), `createCompressor` a function. */
  factory: 'CompressStream' | 'createCompressor';
  options: Record<string, number | boolean>;
}

/** What `compressInWorker` needs: the open output, the tar bytes and the compressor. */
export interface CompressInWorkerOptions {
  /** A descriptor open for writing (the caller opens, fsyncs and closes it; the worker only writes). */
  fd: number;
  /** Named in errors: the file the caller is producing. */
  outPath: string;
  compressor: WorkerCompressor;
  /** The uncompressed bytes, in big chunks. Each chunk is moved to the worker: do not reuse it. */
  chunks: AsyncIterable<Buffer>;
  /** Given each chunk's buffer back once the compressor has taken its bytes, to be filled again. */
  recycle?: (buffer: ArrayBuffer) => void;
  signal?: AbortSignal | undefined;
}

// Chunks sent but not yet taken by the compressor: enough that neither thread waits for the other
// while it has work, even when a loaded machine hands out time slices late; few enough (about 16 MiB
// of tar bytes) that a slow compressor bounds memory.
const CHUNKS_IN_FLIGHT = 16;

const require = createRequire(import.meta.url);

// Buffers from Node's pool share one ArrayBuffer of this size; a larger one belongs to its chunk.
const POOL_SIZE = Buffer.poolSize;

// The worker's code, CommonJS evaluated in the worker (a TypeScript file cannot be the entry of a
// worker both from the compiled library and under ts-jest). It takes tar bytes from this thread,
// acknowledges each chunk once its compressor has taken it, and hashes and writes the compressed
// bytes to the descriptor as the compressor gives them. One worker, not a compressor and a digester
// apart: the hashes cost a fraction of the compressor's time, and a second thread for them cost CPU
// (its start, and handing every compressed megabyte over: about 3% of the whole job on a tree of
// 19,420 files) without saving wall time on a loaded machine.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { writeSync } = require('node:fs');
const { Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { modulePath, factory, options, fd, algorithms } = workerData;
const report = (error) =>
  parentPort.postMessage({ failed: { message: String((error && error.message) || error), code: error && error.code } });
const received = (message) => Buffer.from(message.body, 0, message.length);
let stage;
// Chunks waiting for the compressor, given to it one at a time with a turn of the event loop in
// between, so that a 'stop' is seen within one chunk.
const queue = [];
let busy = false;
let ending = false;
function pump() {
  if (busy || stage === undefined) return;
  const next = queue.shift();
  if (next === undefined) {
    if (ending) stage.end();
    ending = false;
    return;
  }
  busy = true;
  stage.write(received(next), (error) => {
    busy = false;
    if (error) return;
    // The compressor has taken the bytes: the buffer goes back to be filled again.
    parentPort.postMessage({ ack: 1, body: next.body }, [next.body]);
    setImmediate(pump);
  });
}
// Stops between two chunks: lzma-native calls back into JavaScript while it compresses, and a worker
// terminated during such a call aborts the whole process.
function stop() {
  queue.length = 0;
  if (stage !== undefined) {
    stage.destroy();
    if (typeof stage.cleanup === 'function') stage.cleanup();
  }
  process.exit(0);
}
parentPort.on('message', (message) => {
  if (message === 'stop') return stop();
  if (message === 'end') ending = true;
  else queue.push(message);
  pump();
});
const hashes = algorithms.map((algorithm) => createHash(algorithm));
let size = 0;
const output = new Writable({
  write(chunk, _encoding, callback) {
    try {
      for (const hash of hashes) hash.update(chunk);
      size += chunk.length;
      for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at);
      callback();
    } catch (error) {
      callback(error);
    }
  },
  final(callback) {
    parentPort.postMessage({ done: { size, digests: hashes.map((hash) => hash.digest('hex')) } });
    callback();
  },
});
try {
  const library = require(modulePath);
  stage = factory === 'CompressStream' ? new library[factory](options) : library[factory](options);
  pipeline(stage, output).catch(report);
  pump();
} catch (error) {
  report(error);
}
`;

// The digests the worker computes, in the order it reports them.
const ALGORITHMS = ['sha256', 'sha512', 'blake2b512'] as const;

type WorkerMessage =
  | { ack: number; body: ArrayBuffer }
  | { done: { size: number; digests: string[] } }
  | { failed: { message: string; code?: string } };

/**
 * Compresses `chunks`, hashes the result and writes it to `fd` in a worker thread, so compressing and
 * hashing run at the same time as whatever produces the chunks on this thread (reading the tree and
 * packing the tar). Same chunks, same bytes as the compressor gives on this thread. A failure in the
 * worker rejects with ARCHIVE_WRITE_FAILED naming `outPath`; an abort rejects with the signal's
 * reason. Either way the worker has exited before this settles, so the caller can close and remove
 * the file.
 */
export async function compressInWorker(
  options: CompressInWorkerOptions,
): Promise<{ digests: ArchiveDigests; size: number }> {
  const { fd, outPath, compressor, chunks, signal, recycle } = options;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      modulePath: require.resolve(compressor.module),
      factory: compressor.factory,
      options: compressor.options,
      fd,
      algorithms: ALGORITHMS,
    },
  });
  let inFlight = 0;
  let result: { size: number; digests: string[] } | undefined;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const changed = (): void => {
    wake?.();
    wake = undefined;
  };
  const failed = (message: string, cause?: unknown): void => {
    failure ??= new PackyardError('ARCHIVE_WRITE_FAILED', `compressing the archive failed: ${message}`, {
      file: outPath,
      cause,
      hint: 'check that the output directory is writable and has space',
    });
    changed();
  };
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('message', (message: WorkerMessage) => {
    if ('ack' in message) {
      inFlight--;
      recycle?.(message.body);
    } else if ('done' in message) result = message.done;
    else failed(message.failed.message, Object.assign(new Error(message.failed.message), message.failed));
    changed();
  });
  worker.on('error', (error) => failed(error.message, error));
  worker.on('exit', (code) => {
    if (result === undefined) failed(`the worker thread stopped (exit code ${code})`);
  });
  const onAbort = (): void => {
    failure ??= signal!.reason;
    changed();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const until = async (ready: () => boolean): Promise<void> => {
    while (failure === undefined && !ready()) await new Promise<void>((resolve) => (wake = resolve));
    if (failure !== undefined) throw failure;
  };
  try {
    for await (const chunk of chunks) {
      await until(() => inFlight < CHUNKS_IN_FLIGHT);
      // The chunk's own buffer is moved, a pooled one (or a chunk inside a larger buffer) copied.
      const buffer = chunk.buffer as ArrayBuffer;
      const moved = chunk.byteOffset === 0 && buffer.byteLength > POOL_SIZE;
      const body = moved ? buffer : buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength);
      worker.postMessage({ body, length: chunk.byteLength }, [body]);
      inFlight++;
    }
    worker.postMessage('end');
    await until(() => result !== undefined);
    const [sha256, sha512, blake2b] = result!.digests as [string, string, string];
    return { digests: { sha256, sha512, blake2b }, size: result!.size };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // The worker stops itself between two chunks (see `stop` in its code); once it has exited nothing
    // more is written.
    worker.postMessage('stop');
    await exited;
  }
}
