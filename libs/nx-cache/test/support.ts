import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';

/** One member of a test entry: a file with content, or any header tar-stream takes. */
export type Member = Partial<Header> & { name: string; content?: string };

/** A tar (gzip-compressed unless `gzip: false`) holding `members`, built in memory. */
export async function makeEntry(members: Member[], gzip = true): Promise<Buffer> {
  const tar = pack();
  for (const member of members) {
    const { content, ...header } = member;
    tar.entry({ mtime: new Date(0), ...header }, content ?? '');
  }
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(tar)) chunks.push(Buffer.from(chunk as Uint8Array));
  const bytes = Buffer.concat(chunks);
  return gzip ? gzipSync(bytes) : bytes;
}

/** An HTTP call to the cache, with an optional bearer token. */
export async function call(
  url: string,
  method: 'GET' | 'PUT' | 'HEAD',
  token: string | undefined,
  body?: Buffer,
): Promise<{ status: number; body: Buffer }> {
  const response = await fetch(url, {
    method,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}
