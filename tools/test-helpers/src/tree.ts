import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** sha256 of a file, hex. */
export async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/**
 * Every directory (`name/`) and file (`name sha256`) under `dir`, sorted, leaving out entries for
 * which `ignore(name)` holds (lock files by default). Empty directories count.
 */
export async function treeSnapshot(
  dir: string,
  ignore: (name: string) => boolean = (name) => name.endsWith('.lock'),
): Promise<string[]> {
  const out: string[] = [];
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(current, entry.name);
      if (ignore(entry.name)) continue;
      if (entry.isDirectory()) {
        out.push(`${relative(dir, path)}/`);
        await walk(path);
      } else out.push(`${relative(dir, path)} ${await sha256Of(path)}`);
    }
  };
  await walk(dir);
  return out;
}

/** The files under `dir` as relative path → sha256 (directories left out). */
export async function fileDigests(
  dir: string,
  ignore?: (name: string) => boolean,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of await treeSnapshot(dir, ignore)) {
    if (line.endsWith('/')) continue;
    const at = line.lastIndexOf(' ');
    out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}
