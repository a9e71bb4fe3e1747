// The pure pieces: paging, Link headers, ETags, fault matching, rate windows, asset names.
import { matchesIfNoneMatch, renderEtag } from '../src/etag.js';
import { createArmedFault, faultMatches, takeFault } from '../src/faults.js';
import { sanitizeAssetName } from '../src/model.js';
import { parsePaging, planPage, renderLinkHeader } from '../src/pagination.js';
import { RateLimiter } from '../src/rate-limit.js';

describe('paging', () => {
  test.each([
    ['', { page: 1, perPage: 30 }],
    ['per_page=100&page=3', { page: 3, perPage: 100 }],
    ['per_page=1000', { page: 1, perPage: 100 }],
    ['per_page=0&page=0', { page: 1, perPage: 30 }],
    ['per_page=abc&page=-2', { page: 1, perPage: 30 }],
  ])('parsePaging(%j)', (query, expected) => {
    expect(parsePaging(new URLSearchParams(query))).toEqual(expected);
  });

  test('planPage slices and finds the last page; a page past the end is empty', () => {
    expect(planPage(250, 3, 100)).toEqual({ page: 3, perPage: 100, lastPage: 3, start: 200, end: 250 });
    expect(planPage(0, 1, 30)).toEqual({ page: 1, perPage: 30, lastPage: 1, start: 0, end: 0 });
    expect(planPage(10, 5, 3)).toMatchObject({ start: 10, end: 10, lastPage: 4 });
  });

  test('renderLinkHeader keeps the query, moves page last and orders prev, next, last, first', () => {
    const query = new URLSearchParams('page=2&per_page=3&direction=asc');
    expect(renderLinkHeader('http://h/x', query, planPage(13, 2, 3))).toBe(
      [
        '<http://h/x?per_page=3&direction=asc&page=1>; rel="prev"',
        '<http://h/x?per_page=3&direction=asc&page=3>; rel="next"',
        '<http://h/x?per_page=3&direction=asc&page=5>; rel="last"',
        '<http://h/x?per_page=3&direction=asc&page=1>; rel="first"',
      ].join(', '),
    );
    expect(renderLinkHeader('http://h/x', new URLSearchParams(), planPage(5, 1, 30))).toBeUndefined();
  });
});

describe('etags', () => {
  test('weak tags compare weakly, lists and * match', () => {
    const etag = renderEtag(Buffer.from('{}'));
    expect(etag).toMatch(/^W\/"[0-9a-f]{64}"$/);
    expect(matchesIfNoneMatch(etag, etag)).toBe(true);
    expect(matchesIfNoneMatch(etag.slice(2), etag)).toBe(true);
    expect(matchesIfNoneMatch(`"other", ${etag}`, etag)).toBe(true);
    expect(matchesIfNoneMatch('*', etag)).toBe(true);
    expect(matchesIfNoneMatch('"other"', etag)).toBe(false);
    expect(matchesIfNoneMatch(undefined, etag)).toBe(false);
  });
});

describe('faults', () => {
  test('match by method, host and path prefix or RegExp', () => {
    expect(faultMatches({ kind: 'reset' }, 'GET', 'web', '/x')).toBe(true);
    expect(faultMatches({ kind: 'reset', method: 'post' }, 'POST', 'api', '/x')).toBe(true);
    expect(faultMatches({ kind: 'reset', method: 'POST' }, 'GET', 'api', '/x')).toBe(false);
    expect(faultMatches({ kind: 'reset', host: 'uploads' }, 'POST', 'api', '/x')).toBe(false);
    expect(faultMatches({ kind: 'reset', host: 'any' }, 'POST', 'uploads', '/x')).toBe(true);
    expect(faultMatches({ kind: 'reset', path: '/repos/a' }, 'GET', 'api', '/repos/a/b?page=2')).toBe(true);
    expect(faultMatches({ kind: 'reset', path: /page=2$/g }, 'GET', 'api', '/repos/a/b?page=2')).toBe(true);
    expect(faultMatches({ kind: 'reset', path: /page=2$/g }, 'GET', 'api', '/repos/a/b?page=2')).toBe(true);
  });

  test('takeFault spends hits in insertion order and drops spent faults', () => {
    const faults = [
      createArmedFault({ kind: 'status', status: 500, times: 2 }),
      createArmedFault({ kind: 'delay' }),
    ];
    expect(takeFault(faults, 'GET', 'api', '/')?.status).toBe(500);
    expect(takeFault(faults, 'GET', 'api', '/')?.status).toBe(500);
    expect(takeFault(faults, 'GET', 'api', '/')?.kind).toBe('delay');
    expect(takeFault(faults, 'GET', 'api', '/')).toBeUndefined();
    expect(() => createArmedFault({ kind: 'reset', times: 0 })).toThrow(RangeError);
  });
});

describe('rate windows', () => {
  test('count per identity and reset after an hour', () => {
    const limiter = new RateLimiter();
    expect(limiter.consume('a', 60, 1000)).toEqual({ limit: 60, used: 1, reset: 4600 });
    expect(limiter.peek('a', 60, 1001).used).toBe(1);
    expect(limiter.peek('b', 5000, 1001).used).toBe(0);
    expect(limiter.consume('a', 60, 4600)).toEqual({ limit: 60, used: 1, reset: 8200 });
  });
});

describe('asset names', () => {
  test.each([
    ['tool-1.0+local.tar.gz', 'tool-1.0+local.tar.gz'],
    ['my file.txt', 'my.file.txt'],
    ['.hidden.', 'hidden'],
    ['ünïcode.zip', 'n.code.zip'],
  ])('%s → %s', (name, expected) => {
    expect(sanitizeAssetName(name)).toBe(expected);
  });
});
