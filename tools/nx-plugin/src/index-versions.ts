import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { toPackyardError } from '@packyard/core';
import { createPypiClient, resolveIndexUrl, type PypiClient } from '@packyard/pypi-client';

/** Options for `listIndexVersions`. */
export interface ListIndexVersionsOptions {
  /** The directory holding `<name>/config.yaml`, as hermit-pex reads it. */
  packagesDir: string;
  env?: Record<string, string | undefined>;
  /** Default: `createPypiClient({ indexUrl })` from @packyard/pypi-client. */
  createClient?: (indexUrl: string) => Pick<PypiClient, 'listVersions'>;
}

/**
 * What the package index offers each package, one line per `packages/<name>/config.yaml`, in name
 * order: the versions hermit-pex would consider (PEP 440 order, pre-releases and yanked releases
 * left out, as its `state` step lists them) and the yanked ones. It is an Nx runtime input of
 * `pex-builder:build`, so a new upstream release changes the cache key and an unchanged index keeps
 * it. Each package is asked at the index it builds from: its `index_url`, else pip's settings as
 * @packyard/pypi-client resolves them. A config or index that cannot be read gives a line with the
 * error code, so the build runs and reports it. No URL or credential is in the output.
 */
export async function listIndexVersions(options: ListIndexVersionsOptions): Promise<string> {
  const env = options.env ?? process.env;
  const createClient = options.createClient ?? ((indexUrl: string) => createPypiClient({ indexUrl }));
  const entries = await readdir(options.packagesDir, { withFileTypes: true }).catch(() => []);
  const dirs = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const lines = await Promise.all(
    dirs.map(async (dir) => {
      const file = join(options.packagesDir, dir, 'config.yaml');
      try {
        const config: unknown = parseYaml(await readFile(file, 'utf8'));
        const fields = (typeof config === 'object' && config !== null ? config : {}) as Record<
          string,
          unknown
        >;
        const project = typeof fields['package'] === 'string' ? fields['package'] : dir;
        const configured = typeof fields['index_url'] === 'string' ? fields['index_url'] : undefined;
        const index = await resolveIndexUrl({ configured, env });
        const listed = await createClient(index.url).listVersions(project);
        return `${dir} ${project}: ${listed.versions.join(' ')} | yanked: ${listed.yanked.join(' ')}`;
      } catch (error) {
        return `${dir}: ${toPackyardError(error, 'CONFIG_INVALID').code}`;
      }
    }),
  );
  return lines.map((line) => `${line}\n`).join('');
}
