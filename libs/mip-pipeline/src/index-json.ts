import Handlebars from 'handlebars';

/** One entry of index.json: the published metadata with its public URLs. */
export type IndexEntry = Record<string, unknown> & {
  name: string;
  version: string;
  mhl_url: string;
  mip_json_url: string;
};

/** index.json. */
export interface PackageIndex {
  packages: IndexEntry[];
  total_packages: number;
  last_updated: string;
  /** The oldest mip client the channel supports (read by today's client), when set. */
  min_mip_version?: string;
}

function compareVersions(a: string, b: string): number {
  // Numeric-aware: 1.10 sorts after 1.9.
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Orders entries by name, then version (numeric-aware), then build_number, then .mhl name, and
 * computes last_updated as the newest timestamp among them, so the same bucket gives the same file. Pure.
 */
export function planIndex(entries: IndexEntry[]): PackageIndex {
  const sorted = [...entries].sort(
    (a, b) =>
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
      compareVersions(a.version, b.version) ||
      Number(a['build_number'] ?? 0) - Number(b['build_number'] ?? 0) ||
      (a.mhl_url < b.mhl_url ? -1 : a.mhl_url > b.mhl_url ? 1 : 0),
  );
  const stamps = sorted
    .map((e) => String(e['timestamp'] ?? ''))
    .filter(Boolean)
    .sort();
  return {
    packages: sorted,
    total_packages: sorted.length,
    last_updated: stamps[stamps.length - 1] ?? new Date(0).toISOString(),
  };
}

const PAGE = Handlebars.compile(
  `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>MATLAB packages</title>
</head>
<body>
<h1>MATLAB packages</h1>
<p>{{total}} package(s), last updated {{lastUpdated}}. Machine-readable: <a href="index.json">index.json</a>.</p>
<table>
<thead><tr><th>Name</th><th>Version</th><th>Description</th><th>Platform</th><th>Usage</th><th>Bundle</th></tr></thead>
<tbody>
{{#each packages}}
<tr><td>{{name}}</td><td>{{version}}</td><td>{{description}}</td><td>{{platform}}</td><td>{{#each usage}}<pre>{{this}}</pre>{{/each}}</td><td><a href="{{mhl_url}}">{{file}}</a> <code>{{sha256}}</code></td></tr>
{{/each}}
</tbody>
</table>
</body>
</html>
`,
  { strict: false },
);

/** packages.html: one table row per package; every value is HTML-escaped by handlebars. Pure. */
export function renderPackagesHtml(index: PackageIndex): string {
  return PAGE({
    total: index.total_packages,
    lastUpdated: index.last_updated,
    packages: index.packages.map((p) => ({
      name: p.name,
      version: p.version,
      description: String(p['description'] ?? ''),
      platform: `${String(p['matlab_tag'] ?? '')}/${String(p['abi_tag'] ?? '')}/${String(p['platform_tag'] ?? '')}`,
      usage: Array.isArray(p['usage_examples']) ? p['usage_examples'].map(String) : [],
      mhl_url: p.mhl_url,
      file: p.mhl_url.split('/').pop(),
      sha256: String(p['sha256'] ?? ''),
    })),
  });
}
