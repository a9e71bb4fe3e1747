import { constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAccessible, PackyardError, runTool } from '@packyard/core';
import { defaultPackyardHome, provisionOnce } from '@packyard/python-tools';
import { writeExecScript } from './script.js';

/** The Hermit release the suite installs manifests with; it must match the `require` in go.mod. */
export const PINNED_HERMIT_VERSION = '0.52.3';

/** The Go module (go.mod, go.sum, tools.go) that pins Hermit; shipped beside dist/. */
export const HERMIT_MODULE_DIR: string = fileURLToPath(new URL('..', import.meta.url));

/** Options for `provisionHermit`; every one has a default. */
export interface ProvisionHermitOptions {
  /** packyard's home; default `$PACKYARD_HOME`, else `~/.cache/packyard`. */
  home?: string;
  /** The Go command; default `go` on PATH. */
  go?: string;
  /** The environment Go runs with; default `process.env`. */
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
  /**
   * The Linux architecture to build for; default this machine's. Another one (`arm64` on an x86-64
   * host) is cross-built with cgo off into `hermit-<version>-linux-<arch>`; run it under an emulator
   * (`emulatedHermit`).
   */
  arch?: HermitArch;
}

/** The Linux architectures Hermit is built for (Go's GOARCH names, as in Hermit's platform names). */
export type HermitArch = 'amd64' | 'arm64';

/** This machine's architecture in Go's naming, or undefined on one packyard does not build Hermit for. */
export function hostArch(): HermitArch | undefined {
  return ({ x64: 'amd64', arm64: 'arm64' } as const)[process.arch as 'x64' | 'arm64'];
}

/** A provisioned Hermit client. */
export interface HermitClient {
  /** Absolute path of the `hermit` binary. */
  hermit: string;
  version: string;
}

/**
 * Makes sure `<home>/tools/hermit-<version>/hermit` exists, building it once per machine with
 * `go build github.com/cashapp/hermit/cmd/hermit` in the pinned module, and returns it.
 * Concurrent callers are serialised by a lock and the second one reuses the first one's binary; the
 * binary is built in a temporary sibling directory and renamed into place, so a killed build never
 * leaves a half-written binary at the final path (its leftovers are removed by the next build).
 */
export async function provisionHermit(options: ProvisionHermitOptions = {}): Promise<HermitClient> {
  const home = resolve(options.home ?? defaultPackyardHome(options.env ?? process.env));
  const log = options.log ?? (() => {});
  const toolsDir = join(home, 'tools');
  const cross = options.arch !== undefined && options.arch !== hostArch() ? options.arch : undefined;
  const dir = join(toolsDir, `hermit-${PINNED_HERMIT_VERSION}${cross ? `-linux-${cross}` : ''}`);
  const client = { hermit: join(dir, 'hermit'), version: PINNED_HERMIT_VERSION };
  const built = await provisionOnce({
    dir,
    what: `Hermit ${PINNED_HERMIT_VERSION}`,
    // A cold `go build` takes minutes on a busy machine: wait for another builder rather than build twice.
    waitMs: 30 * 60_000,
    isReady: () => isAccessible(client.hermit, constants.X_OK),
    build: async (tmp) => {
      log(
        `building Hermit ${PINNED_HERMIT_VERSION}${cross ? ` for linux-${cross}` : ''} with go build (once per machine)`,
      );
      const env = options.env ?? process.env;
      // Cross-built with cgo off (cmd/hermit builds without it): a static binary that needs no C
      // cross-compiler and no target libc.
      const target = cross ? { GOOS: 'linux', GOARCH: cross, CGO_ENABLED: '0' } : {};
      await buildHermit(options.go ?? 'go', join(tmp, 'hermit'), { ...env, ...target });
    },
  });
  if (built) log(`Hermit ready: ${client.hermit}`);
  return client;
}

/**
 * A client whose `hermit` is an executable script, written to `file`, that runs `client.hermit` under
 * `emulator` (a command and its arguments, e.g. `['qemu-aarch64']`): a Hermit cross-built for another
 * architecture, usable as `createHermitEnvironment`'s client (its `bin/` links start it through
 * `HERMIT_EXE`). That Hermit resolves and installs packages for its own architecture.
 */
export async function emulatedHermit(
  client: HermitClient,
  file: string,
  emulator: readonly string[],
): Promise<HermitClient> {
  await writeExecScript(file, [...emulator, client.hermit]);
  return { hermit: file, version: client.version };
}

async function buildHermit(
  go: string,
  output: string,
  env: Record<string, string | undefined>,
): Promise<void> {
  const args = [
    'build',
    '-trimpath',
    // cmd/hermit reports "devel" unless told its version.
    '-ldflags',
    `-X main.version=${PINNED_HERMIT_VERSION}`,
    '-o',
    output,
    'github.com/cashapp/hermit/cmd/hermit',
  ];
  try {
    await runTool(go, args, {
      cwd: HERMIT_MODULE_DIR,
      // go.sum is committed: a build must never rewrite it, nor reach for another version.
      env: { ...env, GOFLAGS: '-mod=readonly', GO111MODULE: 'on', GOWORK: 'off' },
      tailLines: 20,
    });
  } catch (error) {
    throw new PackyardError(
      'TOOL_PROVISION_FAILED',
      `cannot build Hermit ${PINNED_HERMIT_VERSION}: ${(error as Error).message}`,
      {
        value: go,
        hint: "install Go 1.25 or newer and a C compiler (Hermit's zstd support uses cgo), and make sure the Go module proxy is reachable",
        cause: error,
      },
    );
  }
}
