/**
 * packyard's one error class. Every failure a user can act on carries a stable `code`, the place at
 * fault (`file`, `field`, `value`) and what to do about it (`hint`). The original error is chained
 * as `cause`. Every app maps codes to exit codes through core's one table (`EXIT`, `exitCodeFor`).
 */
export type ErrorCode =
  | 'CONFIG_MISSING'
  | 'CONFIG_INVALID'
  | 'INDEX_NOT_FOUND'
  | 'INDEX_UNREACHABLE'
  | 'INDEX_BAD_RESPONSE'
  | 'DOWNLOAD_NOT_FOUND'
  | 'DOWNLOAD_FAILED'
  | 'VERSION_NOT_FOUND'
  | 'TOOL_FAILED'
  | 'TOOL_PROVISION_FAILED'
  /** An alias of `CONFLICT`, kept for callers that match on it (same exit code, same meaning). */
  | 'STORE_CONFLICT'
  | 'STORE_FAILED'
  | 'AUTH_MISSING'
  | 'AUTH_FAILED'
  | 'VERIFY_FAILED'
  | 'INTERNAL'
  | 'ARCHIVE_INVALID'
  | 'ARCHIVE_WRITE_FAILED'
  | 'CLONE_FAILED'
  | 'BUILD_FAILED'
  | 'INSTALL_TEST_FAILED'
  | 'PUSH_FAILED'
  | 'DISPATCH_FAILED'
  | 'CONFLICT'
  /** A bad command line. */
  | 'USAGE'
  /** A time limit was hit. */
  | 'TIME_LIMIT';

export interface ErrorDetails {
  file?: string | undefined;
  field?: string | undefined;
  value?: unknown;
  hint?: string | undefined;
  cause?: unknown;
}

export class PackyardError extends Error {
  override readonly name = 'PackyardError';
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly field: string | undefined;
  readonly value: unknown;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(redactSecrets(message), details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.file = details.file;
    this.field = details.field;
    this.value = details.value;
    this.hint = details.hint === undefined ? undefined : redactSecrets(details.hint);
  }

  /** One line a user reads: `file: field: message (hint)`. */
  format(): string {
    const where = [this.file, this.field].filter((part) => part !== undefined && part !== '').join(': ');
    const text = where ? `${where}: ${this.message}` : this.message;
    return this.hint ? `${text}\n  hint: ${this.hint}` : text;
  }
}

/** Whether `error` is a PackyardError (with `code`, or a code that is an alias of it). */
export function isPackyardError(error: unknown, code?: ErrorCode): error is PackyardError {
  if (!(error instanceof PackyardError)) return false;
  if (code === undefined || error.code === code) return true;
  return canonicalErrorCode(error.code) === canonicalErrorCode(code);
}

/** Codes kept for callers that match on them; each means the same as its target. */
export const ERROR_CODE_ALIASES: Readonly<Partial<Record<ErrorCode, ErrorCode>>> = {
  STORE_CONFLICT: 'CONFLICT',
};

/** The code an alias stands for (`STORE_CONFLICT` → `CONFLICT`), or the code itself. Pure. */
export function canonicalErrorCode(code: ErrorCode): ErrorCode {
  return ERROR_CODE_ALIASES[code] ?? code;
}

/** Wraps anything thrown into a PackyardError, keeping the original as `cause`. */
export function toPackyardError(error: unknown, code: ErrorCode = 'INTERNAL'): PackyardError {
  if (error instanceof PackyardError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PackyardError(code, message, { cause: error });
}

const SECRET_PATTERNS: RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /(authorization:\s*)(?:token|bearer|basic)\s+\S+/gi,
  /(\/\/[^/\s:@]+:)[^@\s/]+@/g,
];

const registeredSecrets = new Set<string>();

/** Registers a secret (a token read from the environment) so no message ever prints it. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) registeredSecrets.add(secret);
}

/** Replaces tokens, credentials in URLs and registered secrets with `[REDACTED]`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of registeredSecrets) out = out.split(secret).join('[REDACTED]');
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (_match, keep?: string) =>
      typeof keep === 'string' ? `${keep}[REDACTED]${keep.startsWith('//') ? '@' : ''}` : '[REDACTED]',
    );
  }
  return out;
}
