// A tiny PEP 503/691 index on loopback, built from a list of files, for deterministic client tests.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileSpec {
  filename: string;
  yanked?: boolean | string;
  requiresPython?: string;
  sha256?: string;
}

export interface Loopback {
  /** http://127.0.0.1:<port> */
  origin: string;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, requestNumber: number) => void;

export async function startServer(handler: Handler): Promise<Loopback> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A PEP 503 page with relative links, the way a static index lays them out. */
export function renderHtmlPage(project: string, files: FileSpec[]): string {
  const anchors = files.map((f) => {
    const attrs = [`href="../../files/${f.filename}${f.sha256 ? `#sha256=${f.sha256}` : ''}"`];
    if (f.requiresPython !== undefined) attrs.push(`data-requires-python="${escapeHtml(f.requiresPython)}"`);
    if (f.yanked !== undefined && f.yanked !== false) {
      attrs.push(f.yanked === true ? 'data-yanked' : `data-yanked="${escapeHtml(f.yanked)}"`);
    }
    return `    <a ${attrs.join(' ')}>${escapeHtml(f.filename)}</a><br/>`;
  });
  return `<!DOCTYPE html>\n<html>\n  <body>\n    <h1>Links for ${project}</h1>\n${anchors.join('\n')}\n  </body>\n</html>\n`;
}

/** A PEP 691 page (api-version 1.1 with PEP 700 `versions` unless given). */
export function renderJsonPage(project: string, files: FileSpec[], versions?: string[]): string {
  return JSON.stringify({
    meta: { 'api-version': '1.1' },
    name: project,
    ...(versions === undefined ? {} : { versions }),
    files: files.map((f) => ({
      filename: f.filename,
      url: `/files/${f.filename}`,
      hashes: f.sha256 ? { sha256: f.sha256 } : {},
      'requires-python': f.requiresPython ?? null,
      yanked: f.yanked ?? false,
    })),
  });
}

export const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';

/** Serves `/simple/<project>/` as JSON or HTML following the Accept header, or always HTML. */
export function indexHandler(
  pages: Record<string, FileSpec[]>,
  mode: { htmlOnly?: boolean; versions?: Record<string, string[]> } = {},
): Handler {
  return (req, res) => {
    const match = /^\/simple\/([^/]+)\/$/.exec(req.url ?? '');
    const project = match?.[1];
    const files = project === undefined ? undefined : pages[project];
    if (project === undefined || files === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const wantsJson = !mode.htmlOnly && (req.headers.accept ?? '').includes(JSON_TYPE);
    if (wantsJson) {
      res
        .writeHead(200, { 'content-type': JSON_TYPE })
        .end(renderJsonPage(project, files, mode.versions?.[project]));
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(renderHtmlPage(project, files));
    }
  };
}
