import { planByDigest } from '../src/index.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('planByDigest', () => {
  it('uploads what is missing and skips identical bytes', () => {
    expect(planByDigest(undefined, A)).toEqual({ action: 'upload' });
    expect(planByDigest({ sha256: A }, A)).toEqual({ action: 'skip' });
    expect(planByDigest({ sha256: A }, A, { replace: true })).toEqual({ action: 'skip' });
  });

  it('refuses other bytes unless asked to replace them, naming what is stored', () => {
    expect(planByDigest({ sha256: A }, B)).toEqual({ action: 'conflict', stored: A });
    expect(planByDigest({ sha256: A }, B, { replace: true })).toEqual({ action: 'replace', stored: A });
  });

  it('treats a copy of unknown digest as other bytes, or redoes it where the destination says so', () => {
    expect(planByDigest({ sha256: undefined }, A)).toEqual({ action: 'conflict', stored: undefined });
    expect(planByDigest({ sha256: undefined }, A, { replace: true })).toEqual({
      action: 'replace',
      stored: undefined,
    });
    expect(planByDigest({ sha256: undefined }, A, { unknownDigest: 'redo' })).toEqual({
      action: 'redo',
      why: 'no-digest',
    });
  });

  it('redoes an unfinished upload whatever digest it reports', () => {
    expect(planByDigest({ sha256: A, unfinished: true }, A)).toEqual({ action: 'redo', why: 'unfinished' });
    expect(planByDigest({ sha256: undefined, unfinished: true }, B, { replace: true })).toEqual({
      action: 'redo',
      why: 'unfinished',
    });
  });
});
