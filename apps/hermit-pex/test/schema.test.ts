import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configJsonSchema } from '@packyard/hermit-pex-pipeline';

// config.schema.json is generated from the same zod schema that validates configs, so editors and the
// pipeline can never disagree. UPDATE_SCHEMA=1 rewrites it.
const file = join(import.meta.dirname, '..', 'config.schema.json');

describe('config.schema.json', () => {
  it('is the JSON Schema of the config validator', async () => {
    const generated = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
    if (process.env.UPDATE_SCHEMA === '1') await writeFile(file, generated);
    expect(await readFile(file, 'utf8')).toBe(generated);
  });

  it('describes the seed fields and forbids others', () => {
    const schema = configJsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: object;
    };
    expect(schema.required.sort()).toEqual(['binaries', 'versions']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual([
      'config_version',
      'package',
      'description',
      'binaries',
      'test',
      'repository',
      'versions',
      'extra_packages',
      'allow_direct_urls',
      'index_url',
    ]);
  });
});
