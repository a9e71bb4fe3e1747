import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseHclToJson } from '@cdktf/hcl2json';
import { isPackyardError } from '@packyard/core';
import {
  DEFAULT_TEMPLATE_PATH,
  escapeHclString,
  escapeHclTemplateString,
  mergeManifests,
  parseManifest,
  removeVersions,
  renderManifest,
  HERMIT_PLATFORMS,
  type HermitManifest,
} from '../src/index.js';
import {
  aiderChat,
  hostile,
  HOSTILE_STRINGS,
  multiUrl,
  multiVersion,
  partialPlatforms,
  partialUrl,
} from './fixtures.js';
import { expectGolden } from './golden.js';

const FIXTURES: Record<string, () => HermitManifest> = {
  'aider-chat': aiderChat,
  'multi-version': multiVersion,
  'partial-platforms': partialPlatforms,
  hostile,
};

describe('renderManifest', () => {
  it.each(Object.keys(FIXTURES))('renders %s exactly as its golden file', async (name) => {
    await expectGolden(name, renderManifest(FIXTURES[name]!()));
  });

  it('renders the seed manifest in the seed shape and order', () => {
    const text = renderManifest(aiderChat());
    const lines = text.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'description = "Python tool aider-chat packaged as PEX"',
      'binaries = ["aider"]',
      'test = "aider --help"',
      'repository = "https://github.com/vgijssel/hermit-python-packages"',
      '',
      'source = "https://github.com/vgijssel/hermit-python-packages/releases/download/aider-chat-v${version}/aider-chat-${os}-${arch}.tar.gz"',
    ]);
    expect(text).toContain(
      '\n\nversion "0.83.1" {\n  runtime-dependencies = ["python3@3.10"]\n}\n\nsha256sums = {\n',
    );
    expect(
      text.endsWith('tar.gz": "19c37932226e469e01ebdf1e9494ba41e1da9ce48f3f07f40a13ecc491321174",\n}\n'),
    ).toBe(true);
  });

  it('sorts versions by PEP 440, not as strings, and drops duplicates (the later one wins)', () => {
    const text = renderManifest(multiVersion());
    const versions = [...text.matchAll(/^version "([^"]+)" \{\n {2}runtime-dependencies = (.*)$/gm)].map(
      (m) => [m[1], m[2]],
    );
    expect(versions).toEqual([
      ['0.9.0', '["python3@3.11"]'],
      ['0.10.0', '["python3@3.11"]'],
      ['1.0rc1', '["python3@3.11"]'],
      ['1.0', '["python3@3.12"]'],
      ['1.0.post1', '["python3@3.11"]'],
      ['2.0', '["python3@3.11"]'],
    ]);
  });

  it('orders sha256sums by version, then URL, with URLs of no version last', () => {
    const text = renderManifest(multiVersion());
    const urls = [...text.matchAll(/^ {2}"([^"]+)": "[0-9a-f]{64}",$/gm)].map((m) => m[1]);
    const expected = ['0.9.0', '0.10.0', '1.0rc1', '1.0', '1.0.post1', '2.0'].flatMap((version) => [
      multiUrl(version, 'darwin', 'arm64'),
      multiUrl(version, 'linux', 'amd64'),
    ]);
    expect(urls).toEqual([...expected, 'https://example.com/unrelated/notes.txt']);
  });

  it('is deterministic: the same model in any order gives the same bytes, ending in one newline', () => {
    const model = multiVersion();
    // Reversed, with the duplicate dropped by hand: the winning `1.0` (the later one) is kept.
    const shuffled: HermitManifest = {
      ...model,
      versions: [...model.versions]
        .reverse()
        .filter((v, i, all) => all.findIndex((w) => w.version === v.version) === i),
      sha256sums: Object.fromEntries(Object.entries(model.sha256sums).reverse()),
    };
    const text = renderManifest(model);
    expect(renderManifest(shuffled)).toBe(text);
    expect(renderManifest(model)).toBe(text);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
  });

  it('gives a source only to the platforms that have a download', () => {
    const text = renderManifest(partialPlatforms());
    // No top-level source: it would claim darwin-amd64 for 1.0 and 1.1, which have none.
    expect(text).not.toMatch(/^source = /m);
    // Common to every version: once at the top. Only some versions: inside each of those.
    expect(text.match(/^platform "(\w+)" "(\w+)" \{/gm)).toEqual([
      'platform "darwin" "arm64" {',
      'platform "linux" "amd64" {',
    ]);
    const block = (version: string): string =>
      text.slice(text.indexOf(`version "${version}"`)).split('\n}\n')[0] ?? '';
    expect(block('1.0')).not.toContain('platform');
    expect(block('1.1').match(/platform "\w+" "\w+"/g)).toEqual(['platform "linux" "arm64"']);
    expect(block('2.0').match(/platform "\w+" "\w+"/g)).toEqual([
      'platform "darwin" "amd64"',
      'platform "linux" "arm64"',
    ]);
    // Every version on every platform: the single top-level source, as before.
    const all = renderManifest({
      ...partialPlatforms(),
      versions: [{ version: '2.0', runtimeDependencies: [], platforms: [...HERMIT_PLATFORMS].reverse() }],
    });
    expect(all).toMatch(/^source = "https:\/\/example.com\/releases\/tool-v\$\{version\}/m);
    expect(all).not.toContain('platform "');
  });

  it('refuses a platform that is not <os>-<arch>, naming the version', () => {
    const model = partialPlatforms();
    model.versions[1]!.platforms = ['linux-amd64', 'linux'];
    const error: unknown = (() => {
      try {
        return renderManifest(model);
      } catch (e) {
        return e;
      }
    })();
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect(error).toMatchObject({ field: 'versions[1].platforms', value: 'linux' });
  });

  it('omits test and repository when absent or empty', () => {
    const model = { ...aiderChat(), repository: '' };
    delete model.test;
    const text = renderManifest(model);
    expect(text).not.toMatch(/^test = /m);
    expect(text).not.toMatch(/^repository = /m);
    expect(
      text.startsWith(
        'description = "Python tool aider-chat packaged as PEX"\nbinaries = ["aider"]\n\nsource = ',
      ),
    ).toBe(true);
  });

  it('uses a custom template when given one, with the same helpers', () => {
    const text = renderManifest(aiderChat(), {
      template: 'd = {{{hcl description}}}\n{{#each versions}}v = {{{hcl version}}}\n{{/each}}',
    });
    expect(text).toBe('d = "Python tool aider-chat packaged as PEX"\nv = "0.83.1"\n');
  });

  it.each([
    ['a bare value, which handlebars would HTML-escape', 'd = "{{description}}"'],
    ['an unescaped raw value', 'd = "{{{description}}}"'],
    ['a partial', '{{> other}}'],
  ])('refuses a template that prints %s', (_why, template) => {
    expect(() => renderManifest(aiderChat(), { template })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', field: 'template' }),
    );
  });

  it('refuses a sha256 that is not 64 hex characters, naming the URL', () => {
    const model = aiderChat();
    model.sha256sums['https://example.com/x.tar.gz'] = 'not-a-digest';
    expect(() => renderManifest(model)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        field: 'sha256sums["https://example.com/x.tar.gz"]',
      }),
    );
  });

  it('finds the default template at the workspace root when run from source', () => {
    expect(DEFAULT_TEMPLATE_PATH.endsWith('/templates/hermit-manifest.hcl.hbs')).toBe(true);
    expect(existsSync(DEFAULT_TEMPLATE_PATH)).toBe(true);
  });
});

describe('escapeHclString', () => {
  it.each([
    ['say "hi"', 'say \\"hi\\"'],
    ['a\\b', 'a\\\\b'],
    ['a\nb\rc\td', 'a\\nb\\rc\\td'],
    ['${HOME}', '\\u0024{HOME}'],
    ['%{ if }', '\\u0025{ if }'],
    ['$${x}', '$\\u0024{x}'],
    ['$ % $$ %% {}', '$ % $$ %% {}'],
    ['\u0000\u001b\u007f', '\\u0000\\u001B\\u007F'],
    ['héllo 🐍', 'héllo 🐍'],
  ])('escapes %j as %j', (value, expected) => {
    expect(escapeHclString(value)).toBe(expected);
  });
});

describe('escapeHclTemplateString', () => {
  it.each([
    ['v${version}/${os}-${arch}', 'v${version}/${os}-${arch}'],
    ['${HOME}/${version}/${xarch}/${name}', '\\u0024{HOME}/${version}/\\u0024{xarch}/\\u0024{name}'],
    ['%{x}"${version}"', '\\u0025{x}\\"${version}\\"'],
    // `$${version}` would be the escape; \u0024 is a `$` the template scanner does not see.
    ['cost$${version}', 'cost\\u0024${version}'],
  ])('escapes %j as %j', (value, expected) => {
    expect(escapeHclTemplateString(value)).toBe(expected);
  });
});

describe('parseManifest', () => {
  it.each(Object.keys(FIXTURES))('gives back the model rendered from %s (real HCL parser)', async (name) => {
    const model = FIXTURES[name]!();
    const text = renderManifest(model);
    const parsed = await parseManifest(text, `${name}.hcl`);
    expect(parsed).toEqual(mergeManifests(undefined, model));
    expect(renderManifest(parsed)).toBe(text);
  });

  it('round-trips the seed and hostile models unchanged, field by field', async () => {
    expect(await parseManifest(renderManifest(aiderChat()))).toEqual(aiderChat());
    const model = hostile();
    const parsed = await parseManifest(renderManifest(model));
    expect(parsed.description).toBe(HOSTILE_STRINGS.join(' | '));
    expect(parsed).toEqual(model);
  });

  it.each(HOSTILE_STRINGS)('round-trips the hostile string %j in every field', async (value) => {
    const model: HermitManifest = {
      description: value,
      binaries: [value],
      test: value,
      repository: value,
      source: `https://example.com/${value}/\${version}`,
      versions: [{ version: '1.0', runtimeDependencies: [value] }],
      sha256sums: { [`https://example.com/${value}/1.0`]: 'a'.repeat(64) },
    };
    expect(await parseManifest(renderManifest(model))).toEqual(model);
  });

  it('keeps ${version}, ${os} and ${arch} in source as live interpolations, and only those', async () => {
    const json = await parseHclToJson('aider-chat.hcl', renderManifest(aiderChat()));
    expect(json['source']).toBe(aiderChat().source);
    // hcl2json prints Terraform JSON templates: a live interpolation stays `${…}`, a literal is `$${…}`.
    const hostileJson = await parseHclToJson('hostile.hcl', renderManifest(hostile()));
    expect(hostileJson['source']).toBe(
      'https://example.com/dl/${version}/tool-${os}-${arch}.tar.gz?home=$${HOME}&t=%%{x}&q="\\',
    );
    expect(hostileJson['description']).toContain('home is $${HOME}');
  });

  it("reads per-platform sources back into each version's platforms", async () => {
    const parsed = await parseManifest(renderManifest(partialPlatforms()), 'tool.hcl');
    expect(parsed.versions.map((v) => [v.version, v.platforms])).toEqual([
      ['1.0', ['darwin-arm64', 'linux-amd64']],
      ['1.1', ['darwin-arm64', 'linux-amd64', 'linux-arm64']],
      ['2.0', undefined],
    ]);
    expect(parsed.sha256sums[partialUrl('1.1', 'linux-arm64')]).toBeDefined();
  });

  it('refuses platform sources that differ from each other, naming the block', async () => {
    const text = [
      'description = "d"',
      'platform "linux" "amd64" {',
      '  source = "https://example.com/${version}/${os}-${arch}.tar.gz"',
      '}',
      'version "1.0" {',
      '  platform "darwin" "arm64" {',
      '    source = "https://elsewhere.example/${version}.tar.gz"',
      '  }',
      '}',
      '',
    ].join('\n');
    const error: unknown = await parseManifest(text, 'tool.hcl').catch((e: unknown) => e);
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect(error).toMatchObject({
      file: 'tool.hcl',
      field: 'version "1.0".platform "darwin" "arm64".source',
    });
  });

  it('reads multi-label and repeated version blocks and ignores attributes outside the model', async () => {
    const text = [
      'description = "d"',
      'binaries = ["bin/*"]',
      'strip = 1',
      'env = { "FOO": "bar" }',
      'source = "https://example.com/${version}.tar.gz"',
      'darwin {',
      '  source = "https://example.com/mac-${version}.tar.gz"',
      '}',
      'version "1.10" "1.9" {',
      '  runtime-dependencies = ["python3@3.11"]',
      '}',
      'version "2.0" {}',
      'version "2.0" {',
      '  runtime-dependencies = ["python3@3.12"]',
      '}',
      '',
    ].join('\n');
    expect(await parseManifest(text, 'pkg.hcl')).toEqual({
      description: 'd',
      binaries: ['bin/*'],
      source: 'https://example.com/${version}.tar.gz',
      versions: [
        { version: '1.9', runtimeDependencies: ['python3@3.11'] },
        { version: '1.10', runtimeDependencies: ['python3@3.11'] },
        { version: '2.0', runtimeDependencies: ['python3@3.12'] },
      ],
      sha256sums: {},
    });
  });

  it.each([
    ['invalid HCL', 'description = "unterminated\n', undefined],
    ['a missing description', 'source = "https://x/${version}"\n', 'description'],
    ['a missing source', 'description = "d"\n', 'source'],
    [
      'another interpolation in source',
      'description = "d"\nsource = "https://x/${name}/${version}"\n',
      'source',
    ],
    [
      'an interpolation in description',
      'description = "${var.x}"\nsource = "https://x/${version}"\n',
      'description',
    ],
    [
      'a bad digest',
      'description = "d"\nsource = "s"\nsha256sums = { "https://x": "abc" }\n',
      'sha256sums["https://x"]',
    ],
  ])('rejects %s with CONFIG_INVALID naming the file', async (_why, text, field) => {
    const error: unknown = await parseManifest(text, 'hermit/broken.hcl').catch((e: unknown) => e);
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect(error).toMatchObject({ file: 'hermit/broken.hcl', field });
  });
});

describe('mergeManifests', () => {
  const url = (version: string, platform: string): string =>
    `https://example.com/releases/pkg-v${version}/pkg-${platform}.tar.gz`;
  const base = (versions: Record<string, string>, sums: Record<string, string>): HermitManifest => ({
    description: 'pkg',
    binaries: ['pkg'],
    source: 'https://example.com/releases/pkg-v${version}/pkg-${os}-${arch}.tar.gz',
    versions: Object.entries(versions).map(([version, python]) => ({
      version,
      runtimeDependencies: [python],
    })),
    sha256sums: sums,
  });

  it('keeps a version only in the existing manifest, with its sums, and lets next win on overlap', () => {
    const existing = base(
      { '1.0': 'python3@3.10', '1.10': 'python3@3.10', '1.2': 'python3@3.10' },
      {
        [url('1.0', 'linux-amd64')]: '1'.repeat(64),
        [url('1.10', 'linux-amd64')]: '2'.repeat(64),
        [url('1.10', 'darwin-arm64')]: '3'.repeat(64),
        [url('1.2', 'linux-amd64')]: '4'.repeat(64),
      },
    );
    const next = {
      ...base(
        { '1.2': 'python3@3.12', '2.0rc1': 'python3@3.12' },
        {
          [url('1.2', 'linux-amd64')]: '5'.repeat(64),
          [url('2.0rc1', 'linux-amd64')]: '6'.repeat(64),
        },
      ),
      description: 'pkg, rebuilt',
    };
    const merged = mergeManifests(existing, next);
    expect(merged.description).toBe('pkg, rebuilt');
    expect(merged.versions).toEqual([
      { version: '1.0', runtimeDependencies: ['python3@3.10'] },
      { version: '1.2', runtimeDependencies: ['python3@3.12'] },
      { version: '1.10', runtimeDependencies: ['python3@3.10'] },
      { version: '2.0rc1', runtimeDependencies: ['python3@3.12'] },
    ]);
    expect(Object.entries(merged.sha256sums)).toEqual([
      [url('1.0', 'linux-amd64'), '1'.repeat(64)],
      [url('1.2', 'linux-amd64'), '5'.repeat(64)],
      [url('1.10', 'darwin-arm64'), '3'.repeat(64)],
      [url('1.10', 'linux-amd64'), '2'.repeat(64)],
      [url('2.0rc1', 'linux-amd64'), '6'.repeat(64)],
    ]);
  });

  it('keeps the platforms of a version only in the existing manifest', () => {
    const existing = partialPlatforms();
    const next: HermitManifest = {
      ...partialPlatforms(),
      versions: [{ version: '3.0', runtimeDependencies: [], platforms: ['linux-amd64'] }],
      sha256sums: { [partialUrl('3.0', 'linux-amd64')]: 'e'.repeat(64) },
    };
    const merged = mergeManifests(existing, next);
    expect(merged.versions.map((v) => [v.version, v.platforms])).toEqual([
      ['1.0', ['darwin-arm64', 'linux-amd64']],
      ['1.1', ['darwin-arm64', 'linux-amd64', 'linux-arm64']],
      ['2.0', undefined],
      ['3.0', ['linux-amd64']],
    ]);
  });

  it("takes a rebuilt version's sums only from next", () => {
    const existing = base(
      { '1.0': 'python3@3.10' },
      {
        [url('1.0', 'linux-amd64')]: '1'.repeat(64),
        [url('1.0', 'darwin-arm64')]: '2'.repeat(64),
      },
    );
    const next = base({ '1.0': 'python3@3.11' }, { [url('1.0', 'linux-amd64')]: '7'.repeat(64) });
    expect(mergeManifests(existing, next).sha256sums).toEqual({
      [url('1.0', 'linux-amd64')]: '7'.repeat(64),
    });
  });

  it('keeps every published version through a parse → merge → render cycle', async () => {
    const published = await parseManifest(renderManifest(multiVersion()), 'black.hcl');
    const next = base({ '3.0': 'python3@3.12' }, { [url('3.0', 'linux-amd64')]: '8'.repeat(64) });
    const merged = mergeManifests(published, { ...next, source: published.source, sha256sums: {} });
    expect(merged.versions.map((v) => v.version)).toEqual([
      '0.9.0',
      '0.10.0',
      '1.0rc1',
      '1.0',
      '1.0.post1',
      '2.0',
      '3.0',
    ]);
    expect(Object.keys(merged.sha256sums)).toHaveLength(12);
  });

  it('without an existing manifest returns next in canonical order', () => {
    const model = multiVersion();
    const merged = mergeManifests(undefined, model);
    expect(merged.versions.map((v) => v.version)).toEqual([
      '0.9.0',
      '0.10.0',
      '1.0rc1',
      '1.0',
      '1.0.post1',
      '2.0',
    ]);
    expect(renderManifest(merged)).toBe(renderManifest(model));
  });
});

describe('removeVersions', () => {
  it('drops exactly the named versions and their sums, and ignores unknown ones', async () => {
    const published = await parseManifest(renderManifest(multiVersion()), 'black.hcl');
    const removed = removeVersions(published, ['1.0', '7.7']);
    expect(removed.versions.map((v) => v.version)).toEqual(['0.9.0', '0.10.0', '1.0rc1', '1.0.post1', '2.0']);
    const gone = [multiUrl('1.0', 'linux', 'amd64'), multiUrl('1.0', 'darwin', 'arm64')];
    const kept = Object.keys(published.sha256sums).filter((url) => !gone.includes(url));
    expect(kept).toHaveLength(Object.keys(published.sha256sums).length - 2);
    expect(Object.keys(removed.sha256sums).sort()).toEqual(kept.sort());
    expect(removeVersions(published, [])).toEqual(published);
  });
});

describe("Hermit's dialect (github.com/alecthomas/hcl: Go-quoted strings, no templates)", () => {
  // Hermit unquotes every string with Go's strconv.Unquote; run exactly that on what we write.
  const UNQUOTE = `package main

import (
	"encoding/json"
	"os"
	"strconv"
)

func main() {
	var quoted []string
	if err := json.NewDecoder(os.Stdin).Decode(&quoted); err != nil {
		panic(err)
	}
	out := []string{}
	for _, q := range quoted {
		v, err := strconv.Unquote(q)
		if err != nil {
			v = "UNQUOTE ERROR: " + err.Error()
		}
		out = append(out, v)
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}
`;

  it('reads every hostile string back unchanged, ${ and %{ included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-unquote-'));
    await writeFile(join(dir, 'main.go'), UNQUOTE);
    const quoted = HOSTILE_STRINGS.map((value) => `"${escapeHclString(value)}"`);
    const { stdout } = await runGo(dir, JSON.stringify(quoted));
    expect(JSON.parse(stdout)).toEqual(HOSTILE_STRINGS);
  });
});

function runGo(dir: string, input: string): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'go',
      ['run', 'main.go'],
      { cwd: dir, env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'off' } },
      (error, stdout) => (error ? reject(error) : resolve({ stdout })),
    );
    child.stdin?.end(input);
  });
}
