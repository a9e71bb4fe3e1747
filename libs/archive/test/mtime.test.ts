import { defaultMtime, FALLBACK_MTIME } from '@packyard/archive';

describe('defaultMtime', () => {
  it('is 1980-01-01T00:00:00Z without SOURCE_DATE_EPOCH', () => {
    expect(defaultMtime({})).toBe(315_532_800);
    expect(new Date(FALLBACK_MTIME * 1000).toISOString()).toBe('1980-01-01T00:00:00.000Z');
  });

  it('takes SOURCE_DATE_EPOCH when it is a valid integer', () => {
    expect(defaultMtime({ SOURCE_DATE_EPOCH: '1700000000' })).toBe(1_700_000_000);
    expect(defaultMtime({ SOURCE_DATE_EPOCH: '0' })).toBe(0);
    expect(defaultMtime({ SOURCE_DATE_EPOCH: ' 42\n' })).toBe(42);
    expect(defaultMtime({ SOURCE_DATE_EPOCH: '2147483647' })).toBe(2_147_483_647);
  });

  it.each(['', 'abc', '1.5', '-1', '1e9', '0x10', '2147483648', '99999999999999999999'])(
    'falls back for SOURCE_DATE_EPOCH=%j',
    (value) => {
      expect(defaultMtime({ SOURCE_DATE_EPOCH: value })).toBe(FALLBACK_MTIME);
    },
  );

  it('reads process.env by default', () => {
    const saved = process.env['SOURCE_DATE_EPOCH'];
    try {
      process.env['SOURCE_DATE_EPOCH'] = '1234567890';
      expect(defaultMtime()).toBe(1_234_567_890);
      delete process.env['SOURCE_DATE_EPOCH'];
      expect(defaultMtime()).toBe(FALLBACK_MTIME);
    } finally {
      if (saved === undefined) delete process.env['SOURCE_DATE_EPOCH'];
      else process.env['SOURCE_DATE_EPOCH'] = saved;
    }
  });
});
