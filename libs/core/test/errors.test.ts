import {
  PackyardError,
  redactSecrets,
  registerSecret,
  withRetry,
  RetryableError,
  parseRetryAfter,
} from '../src/index.js';

describe('PackyardError', () => {
  it('formats file, field, message and hint on one line each', () => {
    const error = new PackyardError('CONFIG_INVALID', 'must be a string', {
      file: 'packages/black/config.yaml',
      field: 'versions[0].python',
      hint: 'quote it',
    });
    expect(error.format()).toBe(
      'packages/black/config.yaml: versions[0].python: must be a string\n  hint: quote it',
    );
  });

  it('never prints a token, in the message or the hint', () => {
    registerSecret('s3cr3t-value-123');
    const error = new PackyardError(
      'AUTH_MISSING',
      'bad token s3cr3t-value-123 and ghp_abcdefghijklmnopqrstuvwxyz0123',
      {
        hint: 'https://user:pa55word@example.com/simple',
      },
    );
    expect(error.message).toBe('bad token [REDACTED] and [REDACTED]');
    expect(error.hint).toBe('https://user:[REDACTED]@example.com/simple');
    expect(redactSecrets('Authorization: token abc')).toBe('Authorization: [REDACTED]');
  });
});

describe('withRetry', () => {
  it('retries RetryableError and returns the first success', async () => {
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new RetryableError('503');
        return 'ok';
      },
      { retries: 4, minTimeoutMs: 1, maxTimeoutMs: 2 },
    );
    expect([value, calls]).toEqual(['ok', 3]);
  });

  it('fails at once on an error that is not transient, with the original error', async () => {
    let calls = 0;
    const original = new PackyardError('INDEX_NOT_FOUND', 'no such project');
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw original;
        },
        { retries: 4, minTimeoutMs: 1, maxTimeoutMs: 2 },
      ),
    ).rejects.toBe(original);
    expect(calls).toBe(1);
  });

  it('reads Retry-After as seconds or a date, capped', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('600', 5000)).toBe(5000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', 60_000, Date.parse('2026-01-01T00:00:00Z'))).toBe(
      10_000,
    );
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
