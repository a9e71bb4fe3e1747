import { parse as parseHclToJson } from '@cdktf/hcl2json';
import { PackyardError } from '@packyard/core';
import { decodeHclJsonTemplate, LIVE_SOURCE_VARIABLES } from './escape.js';
import type { HermitManifest, HermitVersion } from './model.js';
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
  const manifest: HermitManifest = {
    description: read.string(json, 'description'),
    binaries: read.stringList(json['binaries'] ?? [], 'binaries'),
    source: read.source(json['source']),
    versions: read.versions(json['version']),
    sha256sums: read.sha256sums(json['sha256sums']),
    ...(test === undefined ? {} : { test }),
    ...(repository === undefined ? {} : { repository }),
  };
  return normalizeManifest(manifest, file);
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

  source(value: unknown): string {
    if (typeof value !== 'string') throw this.error('source', 'is required and must be a string', value);
    const decoded = decodeHclJsonTemplate(value);
    const other = decoded.live.filter((sequence) => !LIVE_SOURCE_SEQUENCES.has(sequence));
    if (other.length > 0) {
      throw this.error(
        'source',
        `may only interpolate \${version}, \${os} and \${arch}; found ${other.join(', ')}`,
        value,
      );
    }
    if (decoded.escapedLiveVariable) {
      throw this.error(
        'source',
        'holds an escaped literal ${version}/${os}/${arch}, which cannot be kept',
        value,
      );
    }
    return decoded.text;
  }

  // hcl2json nests block labels: `version "1" {}` is {"1": [body]}, `version "1" "2" {}` is
  // {"1": {"2": [body]}}, and a label used twice collects both bodies in one array.
  versions(value: unknown): HermitVersion[] {
    if (value === undefined) return [];
    const out: HermitVersion[] = [];
    const walk = (node: unknown, labels: string[]): void => {
      if (Array.isArray(node)) {
        const runtimeDependencies: string[] = [];
        for (const body of node) {
          const field = `version "${labels.join('" "')}".runtime-dependencies`;
          const deps = isObject(body) ? body['runtime-dependencies'] : undefined;
          for (const dep of deps === undefined ? [] : this.stringList(deps, field)) {
            if (!runtimeDependencies.includes(dep)) runtimeDependencies.push(dep);
          }
        }
        for (const version of labels) out.push({ version, runtimeDependencies: [...runtimeDependencies] });
      } else if (isObject(node)) {
        for (const [label, child] of Object.entries(node)) walk(child, [...labels, label]);
      } else {
        throw this.error('version', 'must be blocks: version "X" { … }', node);
      }
    };
    walk(value, []);
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

  private error(field: string, message: string, value: unknown): PackyardError {
    return new PackyardError('CONFIG_INVALID', message, { file: this.file, field, value });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
