import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PackyardError } from '@packyard/core';
import bcrypt from 'bcryptjs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

// bcrypt in the modular-crypt form htpasswd -B, bcryptjs and Python's bcrypt all write.
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;
const USER = /^[^:\s]{1,128}$/;

/** The serve config file (YAML or JSON): who may upload, and how much. */
export const ServeConfigSchema = z.strictObject({
  /** User name → bcrypt hash (`pkg-index hash-password`, or `htpasswd -nbB USER PASSWORD`). */
  users: z
    .record(
      z.string().regex(USER, 'a user name has no ":" or whitespace'),
      z.string().regex(BCRYPT, 'not a bcrypt hash ($2a$/$2b$/$2y$, cost 04-31)'),
    )
    .optional(),
  /** An htpasswd file of bcrypt lines, relative to the config file; merged with `users`. */
  htpasswd: z.string().min(1).optional(),
  /** The largest upload accepted, in bytes; default 1 GiB. */
  maxUploadBytes: z.number().int().positive().optional(),
  /** Password attempts per client address and per user name: `burst` at once, `perMinute` regained. */
  loginRate: z
    .strictObject({ burst: z.number().int().positive(), perMinute: z.number().positive() })
    .optional(),
});

/** The serve config as written. */
export type ServeConfigFile = z.infer<typeof ServeConfigSchema>;

/** The serve config resolved: every user's hash, and the upload limit. */
export interface ServeConfig {
  users: ReadonlyMap<string, string>;
  maxUploadBytes: number;
  loginRate?: { burst: number; perMinute: number } | undefined;
}

/** The default upload limit: 1 GiB, well above PyPI's default 100 MB file limit. */
export const DEFAULT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

/** Validates a parsed config; every problem is reported at once with its dotted path. Pure. */
export function parseServeConfig(data: unknown, file?: string): ServeConfigFile {
  const result = ServeConfigSchema.safeParse(data ?? {});
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`,
    );
    throw new PackyardError('CONFIG_INVALID', `invalid serve config:\n  ${problems.join('\n  ')}`, {
      file,
      field: result.error.issues[0]?.path.join('.'),
      hint: 'see the pkg-index README, "serve config"',
    });
  }
  return result.data;
}

/** Parses htpasswd text, accepting bcrypt lines only (the other schemes are unsalted or weak). Pure. */
export function parseHtpasswd(text: string, file?: string): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const colon = trimmed.indexOf(':');
    const user = trimmed.slice(0, colon);
    const hash = trimmed.slice(colon + 1);
    if (colon <= 0 || !USER.test(user) || !BCRYPT.test(hash)) {
      throw new PackyardError('CONFIG_INVALID', `line ${index + 1} is not "user:<bcrypt hash>"`, {
        file,
        field: `line ${index + 1}`,
        hint: 'create lines with `htpasswd -nbB USER PASSWORD` or `pkg-index hash-password`',
      });
    }
    users.set(user, hash);
  });
  return users;
}

/** Reads and resolves the serve config file (and its htpasswd file). */
export async function readServeConfig(file: string): Promise<ServeConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PackyardError('CONFIG_MISSING', `cannot read the serve config: ${(error as Error).message}`, {
      file,
      field: '--config',
      cause: error,
    });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `the serve config is not YAML or JSON: ${(error as Error).message}`,
      {
        file,
        cause: error,
      },
    );
  }
  const config = parseServeConfig(data, file);
  const users = new Map(Object.entries(config.users ?? {}));
  if (config.htpasswd !== undefined) {
    const htpasswd = resolve(dirname(file), config.htpasswd);
    let lines: string;
    try {
      lines = await readFile(htpasswd, 'utf8');
    } catch (error) {
      throw new PackyardError(
        'CONFIG_MISSING',
        `cannot read the htpasswd file: ${(error as Error).message}`,
        {
          file,
          field: 'htpasswd',
          value: htpasswd,
          cause: error,
        },
      );
    }
    for (const [user, hash] of parseHtpasswd(lines, htpasswd)) users.set(user, hash);
  }
  return {
    users,
    maxUploadBytes: config.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    loginRate: config.loginRate,
  };
}

/** A bcrypt hash of `password` for the config's `users` (cost 12 unless given). */
export async function hashPassword(password: string, cost = 12): Promise<string> {
  return bcrypt.hash(password, cost);
}
