import { provisionGoTool } from '@packyard/python-tools';

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
export function provisionVersitygw(options: ProvisionVersitygwOptions = {}): Promise<string> {
  const { version, ...rest } = options;
  return provisionGoTool(
    {
      name: 'versitygw',
      version: version ?? VERSITYGW_VERSION,
      source: { install: 'github.com/versity/versitygw/cmd/versitygw' },
      hint: 'install Go 1.24 or newer and make sure the Go module proxy is reachable',
      // A build takes minutes on a small machine: wait for another builder rather than build twice.
      waitMs: 20 * 60_000,
    },
    rest,
  );
}
