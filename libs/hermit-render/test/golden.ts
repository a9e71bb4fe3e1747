import { join } from 'node:path';
import { goldenFiles } from '@packyard/test-helpers';

/**
 * Compares `actual` byte for byte with test/testdata/<name>.golden. `UPDATE_GOLDEN=1` rewrites the
 * file instead; review the diff before committing it.
 */
export const expectGolden = goldenFiles(join(import.meta.dirname, 'testdata'), { suffix: '.golden' });
