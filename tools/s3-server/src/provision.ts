import { constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { PackyardError, isAccessible, runTool } from '@packyard/core';
import { defaultPackyardHome, provisionOnce } from '@packyard/python-tools';

/** The versitygw release the suite runs against; bumping it is a reviewed change, like any other pin. */
export const VERSITYGW_VERSION = '1.8.0';

/** Options for `provisionVersitygw`; every one has a default. */
export interface ProvisionVersitygwOptions {
  /** packyard's home; default `$PACKYARD_HOME`, else `~/.cache/packyard`. */
  home?: string;
  /** The Go command that builds versitygw; default `go` on PATH. */
  go?: string;
  version?: string;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

/**
 * Makes sure the pinned versitygw binary exists under `<packyard home>/tools/versitygw-<version>/`
 * (built once with `go install` from the Go module proxy, then reused) and returns its path.
 * Concurrent callers are serialised by a lock; the binary is built into a temporary sibling and
 * renamed into place, so a half-built binary never sits at the final path.
 */
export async function provisionVersitygw(options: ProvisionVersitygwOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const home = resolve(options.home ?? defaultPackyardHome(env));
  const version = options.version ?? VERSITYGW_VERSION;
  const go = options.go ?? 'go';
  const log = options.log ?? (() => {});
  const toolsDir = join(home, 'tools');
  const dir = join(toolsDir, `versitygw-${version}`);
  const binary = join(dir, 'versitygw');
  const built = await provisionOnce({
    dir,
    what: `versitygw ${version}`,
    // A build takes minutes on a small machine: wait for another builder rather than build twice.
    waitMs: 20 * 60_000,
    isReady: () => isAccessible(binary, constants.X_OK),
    build: async (tmp) => {
      log(`building versitygw ${version} with ${go} install (a few minutes, once)`);
      try {
        await runTool(go, ['install', `github.com/versity/versitygw/cmd/versitygw@v${version}`], {
          cwd: tmp,
          env: { ...env, GOBIN: tmp },
          tailLines: 20,
        });
      } catch (error) {
        throw new PackyardError(
          'TOOL_PROVISION_FAILED',
          `cannot build versitygw ${version}: ${(error as Error).message}`,
          {
            value: go,
            hint: 'install Go 1.24 or newer and make sure the Go module proxy is reachable',
            cause: error,
          },
        );
      }
    },
  });
  if (built) log(`versitygw ready at ${binary}`);
  return binary;
}
