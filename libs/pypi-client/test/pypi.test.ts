// Against the real PyPI (network). Expected orders are written out by hand, never computed with the
// code under test.
import { describe, expect, it } from '@jest/globals';
import { isPackyardError } from '@packyard/core';
import { createPypiClient, PYPI_SIMPLE_URL } from '@packyard/pypi-client';

const pypi = createPypiClient();

/** Index of `later` is after index of `earlier`, and both are present. */
function expectOrdered(versions: string[], earlier: string, later: string): void {
  expect(versions).toContain(earlier);
  expect(versions).toContain(later);
  expect(versions.indexOf(later)).toBeGreaterThan(versions.indexOf(earlier));
}

describe('PyPI', () => {
  it('lists wait-for-it in PEP 440 order', async () => {
    const result = await pypi.listVersions('Wait_For.It');
    expect(result.normalizedName).toBe('wait-for-it');
    expect(result.indexUrl).toBe(PYPI_SIMPLE_URL);
    expect(result.versions.slice(0, 5)).toEqual(['0.0.1', '0.0.2', '1.0.0', '1.0.1', '1.0.2']);
    expectOrdered(result.versions, '1.1.2', '2.0.0');
    expectOrdered(result.versions, '2.2.2', '2.3.0');
    expect(new Set(result.versions).size).toBe(result.versions.length);
    const sdist = result.files.find((f) => f.filename === 'wait-for-it-1.0.0.tar.gz');
    expect(sdist).toMatchObject({
      version: '1.0.0',
      yanked: false,
      sha256: 'aeb2f02e462f09d57880a952bfa850ffec37da2054177f47d3f0406a54b83469',
    });
    expect(sdist?.url).toMatch(
      /^https:\/\/files\.pythonhosted\.org\/packages\/.+\/wait-for-it-1\.0\.0\.tar\.gz$/,
    );
  });

  it('orders black numerically and leaves pre-releases and yanked releases out unless asked', async () => {
    const stable = await pypi.listVersions('black');
    // As strings, 25.11.0 < 25.9.0; by PEP 440 it comes after.
    expectOrdered(stable.versions, '25.9.0', '25.11.0');
    expectOrdered(stable.versions, '22.12.0', '23.1.0');
    expect(stable.versions).not.toContain('26.1a1');
    expect(stable.versions).not.toContain('21.11b0');

    const all = await pypi.listVersions('black', { includePrereleases: true });
    expectOrdered(all.versions, '25.12.0', '26.1a1');
    expectOrdered(all.versions, '26.1a1', '26.1.0');
    expectOrdered(all.versions, '21.11b1', '21.12b0');
    // 21.11b0 was yanked ("Broken regex dependency"), every file of it.
    expect(all.versions).not.toContain('21.11b0');
    expect(all.yanked).toContain('21.11b0');
    expect(all.files.find((f) => f.version === '21.11b0')?.yanked).toMatch(/regex/);

    const recent = await pypi.listVersions('black', { minVersion: '25.9' });
    expect(recent.versions[0]).toBe('25.9.0');
    expect(recent.versions).toContain('25.11.0');
    expect(recent.versions).not.toContain('25.1.0');
  });

  it('reads the same versions from PyPI as HTML as from PyPI as JSON', async () => {
    let contentType: string | null = null;
    const htmlOnly: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('Accept', 'text/html');
      const response = await fetch(input, { ...init, headers });
      contentType = response.headers.get('content-type');
      return response;
    };
    const fromHtml = await createPypiClient({ fetch: htmlOnly }).listVersions('wait-for-it', {
      includePrereleases: true,
    });
    const fromJson = await pypi.listVersions('wait-for-it', { includePrereleases: true });
    expect(contentType).toMatch(/^text\/html/);
    expect(fromHtml.versions).toEqual(fromJson.versions);
    expect(fromHtml.files.map((f) => f.sha256).sort()).toEqual(fromJson.files.map((f) => f.sha256).sort());
  });

  it('gives INDEX_NOT_FOUND for an unknown project, naming it and the index', async () => {
    let thrown: unknown;
    try {
      await pypi.listVersions('packyard-no-such-project-zz9');
    } catch (error) {
      thrown = error;
    }
    expect(isPackyardError(thrown, 'INDEX_NOT_FOUND')).toBe(true);
    const message = thrown instanceof Error ? thrown.message : '';
    expect(message).toContain('packyard-no-such-project-zz9');
    expect(message).toContain('https://pypi.org/simple');
  });
});
