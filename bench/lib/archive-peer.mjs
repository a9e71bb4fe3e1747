// Helpers the archive benchmarks share: running a peer command, GNU tar with the options that make
// its output deterministic, and hashing a file the way the benchmarks check the reported digests.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative } from 'node:path';

/** GNU tar's options that fix its output: name order, one mtime, owner and group 0. */
export const DETERMINISTIC_TAR_OPTIONS = (mtime) => [
  '--sort=name',
  `--mtime=@${mtime}`,
  '--owner=0',
  '--group=0',
  '--numeric-owner',
];

/** Runs `command` with `args` (and `env` added to this process's); resolves to its stdout. */
export function run(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}`)),
    );
  });
}

/**
 * `tar <deterministic options> <flag> -cf out -C dir .`: GNU tar writing `dir` compressed by `flag`
 * (`-J`, `--zstd`), its compressor set through `env` (`XZ_OPT`, `ZSTD_CLEVEL`...).
 */
export function runGnuTar({ mtime, flag, out, dir, env = {} }) {
  return run('tar', [...DETERMINISTIC_TAR_OPTIONS(mtime), flag, '-cf', out, '-C', dir, '.'], env);
}

/** The sha256 and size of a file, read as a stream. */
export async function hashFile(path) {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Which of lzma-native's addons this process loads, relative to its package: `build/Release/…` is
 * the one tools/scripts/setup-lzma-native.sh builds with an optimised liblzma (what
 * `npx nx run archive:compile` provides), `prebuilds/…` the package's unoptimised prebuilt one.
 */
export function lzmaNativeBinding() {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('lzma-native/package.json'));
  return relative(dir, require('node-gyp-build').path(dir));
}
