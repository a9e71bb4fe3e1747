// A small fetch wrapper for tests that need raw status codes and headers.

export interface RawResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or '' for an empty body. */
  json: unknown;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Raw bytes or text, sent as is (uploads). */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

/** Sends one request and reads the whole answer; never follows redirects. */
export async function call(method: string, url: string, options: CallOptions = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { accept: 'application/vnd.github+json', ...options.headers };
  if (options.token !== undefined) headers.authorization = `token ${options.token}`;
  let body: string | Buffer | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  const response = await fetch(url, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text === '' ? '' : (JSON.parse(text) as unknown),
  };
}

/** The parsed `Link` header: rel → URL. */
export function parseLinks(header: string | null): Record<string, string> {
  const links: Record<string, string> = {};
  for (const part of (header ?? '').split(',')) {
    const match = /<([^>]+)>;\s*rel="([^"]+)"/.exec(part);
    if (match !== null) links[match[2]!] = match[1]!;
  }
  return links;
}
