// The command line: help, usage errors and the exit-code table.
import { EXIT, exitCodeFor, renderAppHelp } from '@packyard/core';
import { pkgIndexApp } from '../src/cli.js';
import { runCli } from './helpers.js';

describe('exit codes', () => {
  test('each failing step maps to its own documented code', () => {
    const codes = {
      CLONE_FAILED: EXIT.clone,
      BUILD_FAILED: EXIT.tool,
      INSTALL_TEST_FAILED: EXIT.installTest,
      PUSH_FAILED: EXIT.push,
      STORE_CONFLICT: EXIT.conflict,
      CONFLICT: EXIT.conflict,
      ARCHIVE_INVALID: EXIT.invalidFile,
      DISPATCH_FAILED: EXIT.dispatch,
      AUTH_MISSING: EXIT.auth,
      CONFIG_INVALID: EXIT.config,
      TOOL_PROVISION_FAILED: EXIT.tool,
      INTERNAL: EXIT.internal,
    } as const;
    for (const [code, exit] of Object.entries(codes)) {
      expect(exitCodeFor(code)).toBe(exit);
      expect(renderAppHelp(pkgIndexApp({ cwd: '.', stdout: () => {}, stderr: () => {} }))).toMatch(
        new RegExp(`^  ${exit} `, 'm'),
      );
    }
  });
  test('help, no command, unknown command', async () => {
    expect(await runCli(['--help'])).toMatchObject({
      code: EXIT.ok,
      stdout: expect.stringContaining('Exit codes'),
    });
    expect(await runCli(['update', '--help'])).toMatchObject({ code: EXIT.ok });
    expect((await runCli([])).code).toBe(EXIT.usage);
    expect((await runCli(['frobnicate'])).code).toBe(EXIT.usage);
    expect((await runCli(['--frobnicate'])).code).toBe(EXIT.usage);
    expect((await runCli(['serve'])).stderr).toContain('--index-dir is required');
    expect((await runCli(['serve', '--index-dir', '.', '--port', '99999'])).code).toBe(EXIT.usage);
    expect(
      (await runCli(['update', '--owner', 'a', '--repo', 'b', '--ref', 'c', '--author', 'nobody'])).code,
    ).toBe(EXIT.usage);
  });
});
