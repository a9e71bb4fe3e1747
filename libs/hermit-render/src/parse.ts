import { parse as parseHclToJson } from '@cdktf/hcl2json';
import { PackyardError } from '@packyard/core';
import { decodeHclJsonTemplate, LIVE_SOURCE_VARIABLES } from './escape.js';
import type { HermitManifest } from './model.js';
import { normalizeManifest } from './order.js';

const LIVE_SOURCE_SEQUENCES = new Set(LIVE_SOURCE_VARIABLES.map((name) => `\${${name}}`));

/**
 * Parses Hermit manifest text with the real HCL parser (hashicorp/hcl via @cdktf/hcl2json) into the
 * canonical model. Attributes and blocks outside the model (`env`, `darwin { … }`, …) are ignored.
 */
export async function parseManifest(text: string, file?: string): Promise<HermitManifest> {
  let json: Record<string, unknown>;
  try {
    json = await parseHclToJson(file ?? 'manifest.hcl', text);
  } catch (error) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `not valid HCL: ${error instanceof Error ? error.message : error}`,
      {
        file,
        cause: error,
        hint: 'fix the syntax, or delete the file to have it generated again',
      },
    );
  }
  const read = new JsonReader(file);
  const test = read.optionalString(json, 'test');
  const repository = read.optionalString(json, 'repository');
  const description = read.string(json, 'description');
  const binaries = read.stringList(json['binaries'] ?? [], 'binaries');
  const common = read.platforms(json['platform'], 'platform');
  const parsed = read.versions(json['version']);
  // The one download URL template: the top-level `source`, or the one every platform block repeats.
  const sources = [
    ...(json['source'] === undefined ? [] : [{ field: 'source', value: json['source'] }]),
    ...common.map((p) => ({ field: p.field, value: p.source })),
    ...parsed.flatMap((v) => v.platforms.map((p) => ({ field: p.field, value: p.source }))),
  ];
  const first = sources[0];
  if (first === undefined) throw read.error('source', 'is required and must be a string', undefined);
  const source = read.source(first.value, first.field);
  for (const other of sources.slice(1)) {
    if (read.source(other.value, other.field) !== source) {
      throw read.error(
        other.field,
        `must be the same URL template as ${first.field} (${source})`,
        other.value,
      );
    }
  }
  const allPlatforms = json['source'] !== undefined;
  const manifest: HermitManifest = {
    description,
    binaries,
    source,
    versions: parsed.map((v) => ({
      version: v.version,
      runtimeDependencies: v.runtimeDependencies,
      ...(allPlatforms ? {} : { platforms: [...common, ...v.platforms].map((p) => `${p.os}-${p.arch}`) }),
    })),
    sha256sums: read.sha256sums(json['sha256sums']),
    ...(test === undefined ? {} : { test }),
    ...(repository === undefined ? {} : { repository }),
  };
  return normalizeManifest(manifest, file);
}

/** A `platform "<os>" "<arch>" { source = … }` block as read, its source still undecoded. */
interface PlatformSource {
  os: string;
  arch: string;
  source: unknown;
  field: string;
}

/** A `version` block as read, before the manifest-wide source is known. */
interface ParsedVersion {
  version: string;
  runtimeDependencies: string[];
  platforms: PlatformSource[];
}

/** Reads hcl2json's output, where every string is a Terraform JSON-syntax template. */
class JsonReader {
  constructor(private readonly file: string | undefined) {}

  string(json: Record<string, unknown>, field: string): string {
    if (json[field] === undefined) throw this.error(field, 'is required', undefined);
    return this.plain(json[field], field);
  }

  optionalString(json: Record<string, unknown>, field: string): string | undefined {
    return json[field] === undefined ? undefined : this.plain(json[field], field);
  }

  stringList(value: unknown, field: string): string[] {
    if (!Array.isArray(value)) throw this.error(field, 'must be a list of strings', value);
    return value.map((item, index) => this.plain(item, `${field}[${index}]`));
  }

  source(value: unknown, field = 'source'): string {
    if (typeof value !== 'string') throw this.error(field, 'is required and must be a string', value);
    const decoded = decodeHclJsonTemplate(value);
    const other = decoded.live.filter((sequence) => !LIVE_SOURCE_SEQUENCES.has(sequence));
    if (other.length > 0) {
      throw this.error(
        field,
        `may only interpolate \${version}, \${os} and \${arch}; found ${other.join(', ')}`,
        value,
      );
    }
    if (decoded.escapedLiveVariable) {
      throw this.error(
        field,
        'holds an escaped literal ${version}/${os}/${arch}, which cannot be kept',
        value,
      );
    }
    return decoded.text;
  }

  // hcl2json nests block labels: `version "1" {}` is {"1": [body]}, `version "1" "2" {}` is
  // {"1": {"2": [body]}}, and a label used twice collects both bodies in one array.
  versions(value: unknown): ParsedVersion[] {
    if (value === undefined) return [];
    const out: ParsedVersion[] = [];
    const walk = (node: unknown, labels: string[]): void => {
      if (Array.isArray(node)) {
        const runtimeDependencies: string[] = [];
        const platforms: PlatformSource[] = [];
        const block = `version "${labels.join('" "')}"`;
        for (const body of node) {
          const deps = isObject(body) ? body['runtime-dependencies'] : undefined;
          for (const dep of deps === undefined
            ? []
            : this.stringList(deps, `${block}.runtime-dependencies`)) {
            if (!runtimeDependencies.includes(dep)) runtimeDependencies.push(dep);
          }
          if (isObject(body)) platforms.push(...this.platforms(body['platform'], `${block}.platform`));
        }
        for (const version of labels) {
          out.push({ version, runtimeDependencies: [...runtimeDependencies], platforms: [...platforms] });
        }
      } else if (isObject(node)) {
        for (const [label, child] of Object.entries(node)) walk(child, [...labels, label]);
      } else {
        throw this.error('version', 'must be blocks: version "X" { … }', node);
      }
    };
    walk(value, []);
    return out;
  }

  // `platform "<os>" "<arch>" { source = … }` is {"<os>": {"<arch>": [body]}}; blocks with other
  // labels (Hermit also takes a single regex, or three) or without a source are outside the model.
  platforms(value: unknown, field: string): PlatformSource[] {
    if (value === undefined) return [];
    if (!isObject(value)) throw this.error(field, 'must be blocks: platform "<os>" "<arch>" { … }', value);
    const out: PlatformSource[] = [];
    for (const [os, byArch] of Object.entries(value)) {
      if (!isObject(byArch)) continue;
      for (const [arch, bodies] of Object.entries(byArch)) {
        if (!Array.isArray(bodies)) continue;
        for (const body of bodies) {
          if (isObject(body) && body['source'] !== undefined) {
            out.push({ os, arch, source: body['source'], field: `${field} "${os}" "${arch}".source` });
          }
        }
      }
    }
    return out;
  }

  sha256sums(value: unknown): Record<string, string> {
    if (value === undefined) return {};
    if (!isObject(value)) throw this.error('sha256sums', 'must be a map of URL to sha256', value);
    return Object.fromEntries(
      Object.entries(value).map(([url, sha256]) => {
        const key = this.plain(url, 'sha256sums');
        return [key, this.plain(sha256, `sha256sums["${key}"]`)];
      }),
    );
  }

  private plain(value: unknown, field: string): string {
    if (typeof value !== 'string') throw this.error(field, 'must be a string', value);
    const decoded = decodeHclJsonTemplate(value);
    if (decoded.live.length > 0) {
      throw this.error(
        field,
        `must be a plain string, not a template (found ${decoded.live.join(', ')})`,
        value,
      );
    }
    return decoded.text;
  }

  error(field: string, message: string, value: unknown): PackyardError {
    return new PackyardError('CONFIG_INVALID', message, { file: this.file, field, value });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
