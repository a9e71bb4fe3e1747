import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AssetFile } from '../src/index.js';

/** Writes `content` into `dir` as a file to upload under `name`, with its size and sha256. */
export async function anAsset(dir: string, name: string, content: string): Promise<AssetFile> {
  const sha256 = createHash('sha256').update(content).digest('hex');
  const path = join(dir, `${name}-${sha256.slice(0, 8)}`);
  await writeFile(path, content);
  return { name, path, size: Buffer.byteLength(content), sha256 };
}
