import { canonicalErrorCode, type ErrorCode } from './errors.js';

/**
 * packyard's one exit-code table: every app exits with these codes and no others. A code keeps its
 * meaning in every app; codes that were retired (14, 17, 18) are never given a new one.
 * docs/exit-codes.md lists them with the codes each app used before.
 */
export const EXIT = {
  /** Everything asked for was done. */
  ok: 0,
  /** Some of the work failed and the rest was done; or `find` found nothing; any unmapped error. */
  failed: 1,
  /** Bad command line: unknown command or option, a missing, repeated or bad value. */
  usage: 2,
  /** Missing credentials, or the remote refused them. Nothing was done. */
  auth: 3,
  /** A check failed: files, blobs, an index or a version does not match what it should be. */
  verify: 4,
  /** Finished, but some items are still pending (each is listed with what it lacks). */
  pending: 5,
  /** A config file, option value or input is invalid or missing. */
  config: 6,
  /** The destination holds other bytes under the same name (or a dirty work tree). */
  conflict: 7,
  /** A build or a tool failed, or a tool could not be provisioned. */
  tool: 8,
  /** A store or index failed: refused a write, could not be reached, or holds a corrupt record. */
  store: 9,
  /** Cloning a repository or checking out a ref failed. */
  clone: 10,
  /** Writing an output failed (disk full, permissions). */
  write: 11,
  /** The install test failed (installing the built file or importing it). */
  installTest: 12,
  /** Pushing to the destination branch failed. */
  push: 13,
  /** Not a valid archive or distribution file (name, damaged member, metadata). */
  invalidFile: 15,
  /** A dispatch was refused or could not be sent. */
  dispatch: 16,
  /** A time limit was hit; the process group was killed. */
  timeLimit: 19,
  /** A bug in packyard: please report it. */
  internal: 70,
} as const;

export type ExitName = keyof typeof EXIT;
export type ExitCode = (typeof EXIT)[ExitName];

const EXIT_BY_ERROR_CODE: Readonly<Partial<Record<ErrorCode, ExitCode>>> = {
  USAGE: EXIT.usage,
  AUTH_MISSING: EXIT.auth,
  AUTH_FAILED: EXIT.auth,
  VERIFY_FAILED: EXIT.verify,
  CONFIG_INVALID: EXIT.config,
  CONFIG_MISSING: EXIT.config,
  CONFLICT: EXIT.conflict,
  BUILD_FAILED: EXIT.tool,
  TOOL_FAILED: EXIT.tool,
  TOOL_PROVISION_FAILED: EXIT.tool,
  STORE_FAILED: EXIT.store,
  INDEX_UNREACHABLE: EXIT.store,
  INDEX_BAD_RESPONSE: EXIT.store,
  INDEX_NOT_FOUND: EXIT.store,
  CLONE_FAILED: EXIT.clone,
  ARCHIVE_WRITE_FAILED: EXIT.write,
  INSTALL_TEST_FAILED: EXIT.installTest,
  PUSH_FAILED: EXIT.push,
  ARCHIVE_INVALID: EXIT.invalidFile,
  DISPATCH_FAILED: EXIT.dispatch,
  TIME_LIMIT: EXIT.timeLimit,
  INTERNAL: EXIT.internal,
};

/**
 * The one mapping from an error (or its code) to an exit code. An error that is not a
 * PackyardError is a bug (`internal`); a code with no entry of its own is `failed`. Pure.
 */
export function exitCodeFor(errorOrCode: unknown): ExitCode {
  const code =
    typeof errorOrCode === 'string'
      ? errorOrCode
      : (errorOrCode as { code?: unknown } | null)?.code !== undefined &&
          (errorOrCode as { name?: unknown }).name === 'PackyardError'
        ? (errorOrCode as { code: string }).code
        : 'INTERNAL';
  return EXIT_BY_ERROR_CODE[canonicalErrorCode(code as ErrorCode)] ?? EXIT.failed;
}

/**
 * One exit code for a run that went on past failures (some items failed, the rest was done):
 * `config` when every failure is an invalid config, `timeLimit` when every one hit a time limit,
 * else `failed`, so scripts can tell such a run from one that stopped (any other code). No
 * failures: `ok`. Pure.
 */
export function exitCodeForAll(failures: Iterable<unknown>): ExitCode {
  const codes = new Set<ExitCode>();
  for (const failure of failures) codes.add(exitCodeFor(failure));
  if (codes.size === 0) return EXIT.ok;
  const [only] = codes;
  return codes.size === 1 && (only === EXIT.config || only === EXIT.timeLimit) ? only : EXIT.failed;
}
