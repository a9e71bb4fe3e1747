import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { clearStaleIndexLock, withIndexLock, writeIndex } from '@packyard/wheel-index';
import { UNLISTED_DIR, describeFinding, inspectIndexTree } from './tree.js';

/** Options of recoverIndexDir. */
export interface RecoverOptions {
  /** Where uploads are staged (default: the OS temporary directory). */
  stagingDir?: string;
  /** One line per repair. */
  log?: (line: string) => void;
}

/** What recoverIndexDir repaired, one line each (empty: the index was consistent). */
export interface RecoverResult {
  repairs: string[];
}

/**
 * Brings an index directory back to a consistent state after a writer was killed (kill -9, power
 * loss), before a server starts taking uploads:
 * - a lock whose holder is gone is removed at once (instead of waiting for it to go stale);
 * - staging directories of dead processes and temporary files beside pages and files are removed;
 * - a complete file no JSON page lists (killed before its page was written) is moved to
 *   `.packyard-unlisted/<project>/`: never served, never lost, and a re-upload adds it again;
 * - pages that disagree with the JSON record (killed between the JSON and the HTML page) are
 *   rewritten from the files (writeIndex, which keeps upload times and yanked marks).
 * Each repair is logged. Runs under the index lock, so a live writer is never disturbed.
 */
export async function recoverIndexDir(
  indexDir: string,
  options: RecoverOptions = {},
): Promise<RecoverResult> {
  const root = resolve(indexDir);
  const repairs: string[] = [];
  const note = (line: string) => {
    repairs.push(line);
    options.log?.(`recovery: ${line}`);
  };
  const lock = await clearStaleIndexLock(root);
  if (lock !== undefined) note(`removed a stale lock (${lock})`);
  const stagingDir = options.stagingDir;
  let rebuild = false;
  await withIndexLock(root, async () => {
    for (const finding of await inspectIndexTree(root, stagingDir === undefined ? {} : { stagingDir })) {
      const line = describeFinding(root, finding);
      switch (finding.kind) {
        case 'staging':
          await rm(finding.path, { recursive: true, force: true });
          note(`removed ${line}`);
          break;
        case 'temporary':
          await rm(finding.path, { recursive: true, force: true });
          note(`removed ${line}`);
          // A temporary directory beside simple/ or project/ means a rebuild was cut short.
          if (dirname(finding.path) === root) rebuild = true;
          break;
        case 'unlisted': {
          const aside = join(root, UNLISTED_DIR, finding.project, finding.filename);
          await mkdir(dirname(aside), { recursive: true });
          await rename(finding.path, aside);
          await rmdir(dirname(finding.path)).catch(() => {});
          note(`set aside ${line} (now ${UNLISTED_DIR}/${finding.project}/${finding.filename})`);
          break;
        }
        case 'page-stale':
          note(`will rewrite the pages: ${line}`);
          rebuild = true;
          break;
        case 'listed-missing':
        case 'listed-damaged':
          note(`cannot repair ${line}; \`pkg-index verify\` reports it`);
          break;
        case 'lock':
          break;
      }
    }
  });
  if (rebuild) {
    const result = await writeIndex(root);
    note(`rewrote the pages of ${result.projects.length} projects from ${result.files} files`);
  }
  return { repairs };
}
