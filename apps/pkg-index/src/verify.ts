import { resolve } from 'node:path';
import { describeFinding, inspectIndexTree } from '@packyard/index-server';

/**
 * `pkg-index verify`: reads every listed file back (size, sha256, metadata file) and checks that the
 * tree holds nothing a consistent index does not: no file that no page lists, no temporary, no
 * staging left by an upload, no lock, no page that disagrees with the JSON record. Returns the
 * problems, one line each (empty: consistent).
 */
export async function verifyIndexDir(indexDir: string): Promise<string[]> {
  const root = resolve(indexDir);
  const findings = await inspectIndexTree(root, { hashes: true });
  return findings.map((finding) => describeFinding(root, finding));
}
