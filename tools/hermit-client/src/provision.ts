import { fileURLToPath } from 'node:url';
import { provisionGoTool } from '@packyard/python-tools';

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
  const hermit = await provisionGoTool(
    {
      name: 'hermit',
      label: 'Hermit',
      version: PINNED_HERMIT_VERSION,
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
        // go.sum is committed: a build must never rewrite it, nor reach for another version.
        env: { GOFLAGS: '-mod=readonly', GO111MODULE: 'on', GOWORK: 'off' },
      },
      hint: "install Go 1.25 or newer and a C compiler (Hermit's zstd support uses cgo), and make sure the Go module proxy is reachable",
    },
    options,
  );
  return { hermit, version: PINNED_HERMIT_VERSION };
}
