import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapConcurrent, publishObject, verifyObject, type ObjectStore } from '../src/index.js';

const sha = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** The behaviour every ObjectStore backend shares; `open` gives a store with a fresh key space. */
export function describeObjectStoreContract(name: string, open: () => Promise<ObjectStore>): void {
  describe(`${name}: ObjectStore contract`, () => {
    let store: ObjectStore;
    beforeAll(async () => {
      store = await open();
    });

    it('puts bytes and files, and reads size, sha256 and bytes back from the destination', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'packyard-r2-'));
      await writeFile(join(dir, 'b.bin'), 'file body');
      await store.put({ key: 'put/a.txt', body: { bytes: 'hello' }, contentType: 'text/plain' });
      await store.put({ key: 'put/b.bin', body: { file: join(dir, 'b.bin') } });
      const a = await store.head('put/a.txt');
      expect(a).toMatchObject({ key: 'put/a.txt', size: 5, sha256: sha('hello') });
      expect(a?.etag).not.toBe('');
      expect((await store.get('put/a.txt'))?.toString()).toBe('hello');
      expect((await store.head('put/b.bin'))?.sha256).toBe(sha('file body'));
      expect(await store.head('put/missing')).toBeUndefined();
      expect(await store.get('put/missing')).toBeUndefined();
      await verifyObject(store, 'put/b.bin', sha('file body'));
      await expect(verifyObject(store, 'put/b.bin', sha('other'))).rejects.toMatchObject({
        code: 'VERIFY_FAILED',
      });
    });

    it('refuses a body whose sha256 is not the one claimed, and stores nothing', async () => {
      await expect(
        store.put({ key: 'digest/x.txt', body: { bytes: 'actual bytes' }, sha256: sha('claimed bytes') }),
      ).rejects.toMatchObject({ code: 'STORE_FAILED', message: expect.stringMatching(/checksum mismatch/) });
      expect(await store.head('digest/x.txt')).toBeUndefined();
    });

    it('enforces create-only and replace-if-unchanged writes (412)', async () => {
      const first = await store.put({
        key: 'cond/k',
        body: { bytes: 'v1' },
        condition: { ifNoneMatch: '*' },
      });
      await expect(
        store.put({ key: 'cond/k', body: { bytes: 'v2' }, condition: { ifNoneMatch: '*' } }),
      ).rejects.toMatchObject({ code: 'STORE_CONFLICT', message: expect.stringMatching(/412/) });
      const second = await store.put({
        key: 'cond/k',
        body: { bytes: 'v2' },
        condition: { ifMatch: first.etag },
      });
      await expect(
        store.put({ key: 'cond/k', body: { bytes: 'v3' }, condition: { ifMatch: first.etag } }),
      ).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
      expect((await store.get('cond/k'))?.toString()).toBe('v2');
      expect(second.etag).not.toBe(first.etag);
    });

    it('lists by prefix in key order, paging past 1,000 keys', async () => {
      const keys = Array.from({ length: 1003 }, (_, i) => `many/${String(i).padStart(4, '0')}.json`);
      const results = await mapConcurrent(keys, 16, (key) => store.put({ key, body: { bytes: key } }));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      await store.put({ key: 'many-not/x', body: { bytes: 'x' } });
      const first = await store.listPage('many/');
      expect(first.objects).toHaveLength(1000);
      expect(first.nextToken).toBeDefined();
      const second = await store.listPage('many/', { token: first.nextToken });
      expect(second.objects.map((o) => o.key)).toEqual(keys.slice(1000));
      expect(second.nextToken).toBeUndefined();
      const all: string[] = [];
      for await (const object of store.list('many/', { pageSize: 400 })) all.push(object.key);
      expect(all).toEqual(keys);
      expect((await store.listPage('many/0001')).objects.map((o) => [o.key, o.size])).toEqual([
        ['many/0001.json', 14],
      ]);
    });

    it('publishes idempotently by digest: upload, skip, refuse other bytes, replace on request', async () => {
      const item = { key: 'pub/p.mhl', body: { bytes: 'bundle v1' }, contentType: 'application/zip' };
      expect(await publishObject(store, item)).toMatchObject({
        action: 'uploaded',
        sha256: sha('bundle v1'),
      });
      expect(await publishObject(store, item)).toMatchObject({ action: 'skipped' });
      const changed = { ...item, body: { bytes: 'bundle v2' } };
      await expect(publishObject(store, changed)).rejects.toMatchObject({
        code: 'STORE_CONFLICT',
        message: `pub/p.mhl already exists in ${store.location} with other bytes (sha256 ${sha('bundle v1')}, new ${sha('bundle v2')})`,
      });
      expect((await store.get('pub/p.mhl'))?.toString()).toBe('bundle v1');
      expect(await publishObject(store, changed, { replace: true })).toMatchObject({ action: 'replaced' });
      expect((await store.get('pub/p.mhl'))?.toString()).toBe('bundle v2');
    });

    it('lets concurrent publishers of the same bytes all succeed with one write', async () => {
      const item = { key: 'race/r.mhl', body: { bytes: 'same bytes' } };
      const results = await Promise.all(Array.from({ length: 6 }, () => publishObject(store, item)));
      expect(results.filter((r) => r.action === 'uploaded')).toHaveLength(1);
      expect(results.filter((r) => r.action === 'skipped')).toHaveLength(5);
    });

    it('deletes, and rejects unsafe keys before any I/O', async () => {
      await store.put({ key: 'del/x', body: { bytes: 'x' } });
      await store.delete('del/x');
      await store.delete('del/never-there');
      expect(await store.head('del/x')).toBeUndefined();
      for (const key of ['', '/abs', 'a/../b', 'a//b', './a']) {
        await expect(store.put({ key, body: { bytes: 'x' } })).rejects.toMatchObject({
          code: 'CONFIG_INVALID',
          field: 'key',
          value: key,
        });
      }
    });
  });
}
