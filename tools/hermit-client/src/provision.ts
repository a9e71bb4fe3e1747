import { fileURLToPath } from 'node:url';
import { provisionGoTool } from '@packyard/python-tools';
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
  const cross = options.arch !== undefined && options.arch !== hostArch() ? options.arch : undefined;
  const hermit = await provisionGoTool(
    {
      name: 'hermit',
      label: 'Hermit',
      version: PINNED_HERMIT_VERSION,
      ...(cross ? { variant: `linux-${cross}` } : {}),
      source: {
        cwd: HERMIT_MODULE_DIR,
        args: (output) => [
          'build',
          '-trimpath',
          // cmd/hermit reports "devel" unless told its version.
          '-ldflags',
          `-X main.version=${PINNED_HERMIT_VERSION}`,
          '-o',
          output,
          'github.com/cashapp/hermit/cmd/hermit',
        ],
        // go.sum is committed: a build must never rewrite it, nor reach for another version. A
        // cross-build has cgo off (cmd/hermit builds without it): a static binary that needs no C
        // cross-compiler and no target libc.
        env: {
          GOFLAGS: '-mod=readonly',
          GO111MODULE: 'on',
          GOWORK: 'off',
          ...(cross ? { GOOS: 'linux', GOARCH: cross, CGO_ENABLED: '0' } : {}),
        },
      },
      hint: 'install Go 1.25 or newer, and make sure the Go module proxy is reachable',
    },
    options,
  );
  return { hermit, version: PINNED_HERMIT_VERSION };
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
