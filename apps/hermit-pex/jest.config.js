import { jestConfig } from '../../jest.preset.js';

// These tests build real PEX files; on a loaded 2-core machine one of them can take many times its
// idle duration. The timeout is a hang guard only, far above any real duration (see the README).
export default { ...jestConfig(import.meta.dirname), testTimeout: 3 * 60 * 60 * 1000 };
