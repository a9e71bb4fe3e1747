import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { freeLoopbackPort, stopChild, waitUntilServing } from '@packyard/core';
import { provisionVersitygw, type ProvisionVersitygwOptions } from './provision.js';

/** Options for `startS3Server`. */
export interface S3ServerOptions {
  /** Where the server keeps its buckets (versitygw's posix backend): one directory per bucket. */
  dir: string;
  /** Loopback port; default a free one. Pass the port of a stopped server to bring it back. */
  port?: number;
  /** Default random; the server accepts only this key pair. */
  accessKey?: string;
  secretKey?: string;
  /** A bucket created before the server starts; default `packyard`. `null` creates none. */
  bucket?: string | null;
  /** The versitygw binary; default the one `provisionVersitygw` builds. */
  binary?: string;
  provision?: ProvisionVersitygwOptions;
  /** How long to wait for the server to accept connections; far above a real start. */
  startTimeoutMs?: number;
  /**
   * Also serve versitygw's static website endpoint (`--website`) on another loopback port. It picks
   * the bucket from the request's host name (no `--website-domain`: catch-all mode), so a bucket
   * named `localhost` is served at `http://localhost:PORT/`, anonymously once its policy allows it.
   */
  website?: boolean;
}

/** A running S3 server on loopback. */
export interface S3Server {
  /** `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`. */
  endpoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** The website endpoint's port, when `website` was asked for. */
  websitePort: number | undefined;
  /** The bucket made at start, or undefined when none was asked for. */
  bucket: string | undefined;
  pid: number;
  /** The server's combined stdout and stderr. */
  logFile: string;
  /** The environment a user of the AWS CLI or SDK would set to reach this server. */
  env: Record<string, string>;
  /** Stops the server (SIGTERM, then SIGKILL), by its process id. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL): a server dying mid-request. */
  kill(): Promise<void>;
}

/**
 * Starts versitygw (`versitygw --access K --secret S --port 127.0.0.1:PORT posix DIR`) on loopback and
 * resolves once it accepts connections. The bucket is a directory under `dir`, made before the start
 * (the posix backend serves every directory under its root as a bucket).
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const dir = resolve(options.dir);
  const binary = options.binary ?? (await provisionVersitygw(options.provision));
  const accessKey = options.accessKey ?? `packyard${randomBytes(6).toString('hex')}`;
  const secretKey = options.secretKey ?? randomBytes(20).toString('hex');
  const bucket = options.bucket === null ? undefined : (options.bucket ?? 'packyard');
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  if (bucket !== undefined) await mkdir(join(dataDir, bucket), { recursive: true });
  const logFile = join(dir, 'versitygw.log');

  // A port picked here can be taken by someone else before versitygw binds it; then try another.
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.port === undefined ? 5 : 1); attempt++) {
    const port = options.port ?? (await freeLoopbackPort());
    const websitePort = options.website === true ? await freeLoopbackPort() : undefined;
    const website = websitePort === undefined ? [] : ['--website', `127.0.0.1:${websitePort}`];
    const log = await open(logFile, 'a');
    const child = spawn(
      binary,
      [
        '--access',
        accessKey,
        '--secret',
        secretKey,
        '--port',
        `127.0.0.1:${port}`,
        ...website,
        'posix',
        dataDir,
      ],
      { stdio: ['ignore', log.fd, log.fd], detached: false },
    );
    await log.close();
    try {
      await waitUntilServing({
        child,
        port,
        name: 'versitygw',
        logFile,
        timeoutMs: options.startTimeoutMs ?? 120_000,
      });
    } catch (error) {
      lastError = error;
      await stopChild(child, 'SIGKILL');
      continue;
    }
    const endpoint = `http://127.0.0.1:${port}`;
    return {
      endpoint,
      port,
      websitePort,
      accessKey,
      secretKey,
      bucket,
      pid: child.pid as number,
      logFile,
      env: {
        AWS_ACCESS_KEY_ID: accessKey,
        AWS_SECRET_ACCESS_KEY: secretKey,
        AWS_ENDPOINT_URL: endpoint,
        AWS_REGION: 'us-east-1',
      },
      stop: () => stopChild(child, 'SIGTERM'),
      kill: () => stopChild(child, 'SIGKILL'),
    };
  }
  throw lastError;
}
