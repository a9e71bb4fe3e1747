import { constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { PackyardError, isAccessible, runTool } from '@packyard/core';
import { provisionOnce } from './once.js';
import { defaultPackyardHome } from './tools.js';

/** A pinned Go tool: what `provisionGoTool` builds into `<home>/tools/<name>-<version>/<name>`. */
export interface GoTool {
  /** The binary's name, also the directory's ("versitygw"). */
  name: string;
  /** How messages name it ("Hermit"); default `name`. */
  label?: string;
  version: string;
  /** A suffix for a build of the same version for another target (`linux-arm64`): its own directory. */
  variant?: string;
  /**
   * How it is built: `go install <module>@v<version>` from the Go module proxy, or `go build` with
   * `args(output)` in `cwd` (a module that pins the tool in its go.mod and go.sum).
   */
  source:
    { install: string } | { cwd: string; args: (output: string) => string[]; env?: Record<string, string> };
  /** What to do when the build fails (which Go, which C compiler…). */
  hint: string;
  /** How long to wait for another process building the same tool; default 30 minutes. */
  waitMs?: number;
}

/** Options of `provisionGoTool`; every one has a default. */
export interface ProvisionGoToolOptions {
  /** packyard's home; default `$PACKYARD_HOME`, else `~/.cache/packyard`. */
  home?: string;
  /** The Go command; default `go` on PATH. */
  go?: string;
  /** The environment Go runs with; default `process.env`. */
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

/**
 * Makes sure the pinned Go tool exists under `<packyard home>/tools/<name>-<version>/` and returns
 * its binary's path, building it once per machine (`provisionOnce`: serialised by a lock, built in
 * a temporary sibling and renamed into place). A failed build is TOOL_PROVISION_FAILED with `hint`.
 */
export async function provisionGoTool(tool: GoTool, options: ProvisionGoToolOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const home = resolve(options.home ?? defaultPackyardHome(env));
  const go = options.go ?? 'go';
  const log = options.log ?? (() => {});
  const dir = join(home, 'tools', `${tool.name}-${tool.version}${tool.variant ? `-${tool.variant}` : ''}`);
  const binary = join(dir, tool.name);
  const label = tool.label ?? tool.name;
  const built = await provisionOnce({
    dir,
    what: `${label} ${tool.version}`,
    // A cold build takes minutes on a busy machine: wait for another builder rather than build twice.
    waitMs: tool.waitMs ?? 30 * 60_000,
    isReady: () => isAccessible(binary, constants.X_OK),
    build: async (tmp) => {
      const target = tool.variant ? ` for ${tool.variant}` : '';
      log(`building ${label} ${tool.version}${target} with ${go} (a few minutes, once per machine)`);
      const { source } = tool;
      try {
        if ('install' in source) {
          await runTool(go, ['install', `${source.install}@v${tool.version}`], {
            cwd: tmp,
            env: { ...env, GOBIN: tmp },
            tailLines: 20,
          });
        } else {
          await runTool(go, source.args(join(tmp, tool.name)), {
            cwd: source.cwd,
            env: { ...env, ...source.env },
            tailLines: 20,
          });
        }
      } catch (error) {
        throw new PackyardError(
          'TOOL_PROVISION_FAILED',
          `cannot build ${label} ${tool.version}: ${(error as Error).message}`,
          { value: go, hint: tool.hint, cause: error },
        );
      }
    },
  });
  if (built) log(`${label} ready at ${binary}`);
  return binary;
}
