import type { AssetRecord, EmulatorStore } from './model.js';

/** A reply of the web origin (github.com): downloads and their redirects. */
export interface WebReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** What the web origin needs: the store, its own URL, and asset-URL signing. */
export interface WebEnvironment {
  store: EmulatorStore;
  webUrl: string;
  objectUrl(asset: AssetRecord): string;
  verifyObjectSignature(assetId: number, signature: string): boolean;
}

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

function notFound(): WebReply {
  return { status: 404, headers: TEXT, body: Buffer.from('Not Found') };
}

function redirect(location: string): WebReply {
  return { status: 302, headers: { location, ...TEXT }, body: Buffer.alloc(0) };
}

function decode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * Serves `/{owner}/{repo}/releases/download/{tag}/{name}` (published releases of public repositories only;
 * drafts are not downloadable) by redirecting to a signed object URL, as github.com redirects to its asset
 * host; `/{owner}/{repo}/releases/latest/download/{name}` redirects to the latest release's asset.
 */
export function handleWebRequest(
  env: WebEnvironment,
  method: string,
  pathname: string,
  query: URLSearchParams,
): WebReply {
  if (method !== 'GET' && method !== 'HEAD') return notFound();

  const object = /^\/_objects\/(\d+)\/[^/]+$/.exec(pathname);
  if (object !== null) {
    const assetId = Number(object[1]);
    if (!env.verifyObjectSignature(assetId, query.get('sig') ?? '')) return notFound();
    const asset = env.store.findAssetById(assetId);
    if (asset === undefined || asset.state !== 'uploaded' || asset.content === null) return notFound();
    return {
      status: 200,
      headers: {
        'content-type': asset.contentType,
        'content-disposition': `attachment; filename=${asset.name}`,
      },
      body: asset.content,
    };
  }

  const latest = /^\/([^/]+)\/([^/]+)\/releases\/latest\/download\/([^/]+)$/.exec(pathname);
  if (latest !== null) {
    const repo = env.store.findRepo(decode(latest[1]!) ?? '', decode(latest[2]!) ?? '');
    if (repo === undefined || repo.private) return notFound();
    const release = env.store.latestRelease(repo);
    if (release === undefined) return notFound();
    const tag = release.tagName.split('/').map(encodeURIComponent).join('/');
    return redirect(`${env.webUrl}/${repo.owner}/${repo.name}/releases/download/${tag}/${latest[3]!}`);
  }

  const download = /^\/([^/]+)\/([^/]+)\/releases\/download\/(.+)\/([^/]+)$/.exec(pathname);
  if (download === null) return notFound();
  const [owner, name, tag, assetName] = [download[1]!, download[2]!, download[3]!, download[4]!].map(decode);
  if (owner === undefined || name === undefined || tag === undefined || assetName === undefined)
    return notFound();
  const repo = env.store.findRepo(owner, name);
  if (repo === undefined || repo.private) return notFound();
  const release = env.store.findPublishedByTag(repo, tag);
  const asset =
    release === undefined ? undefined : [...release.assets.values()].find((a) => a.name === assetName);
  if (asset === undefined || asset.state !== 'uploaded') return notFound();
  asset.downloadCount += 1;
  return redirect(env.objectUrl(asset));
}
