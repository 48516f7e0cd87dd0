/** Where a new SQLite store can go: the one check `doctor` makes and every opening of a store obeys. */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStoreDirectory, storeDirectory } from '../../src/store/directory.js';
import { openSqlJsStore } from '../../src/store/sqljs.js';
import { tempDir } from '../helpers/cli.js';

describe('storeDirectory / createStoreDirectory', () => {
  it('names the nearest existing directory and what is missing, and creates exactly that, level by level', () => {
    const dir = tempDir();
    const path = join(dir, 'a/b/c/store.db');
    expect(storeDirectory(path)).toEqual({ existing: dir, missing: [join(dir, 'a'), join(dir, 'a/b'), join(dir, 'a/b/c')] });
    expect(existsSync(join(dir, 'a')), 'the check writes nothing').toBe(false);
    createStoreDirectory(path);
    expect(statSync(join(dir, 'a/b/c')).isDirectory()).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(storeDirectory(path)).toEqual({ existing: join(dir, 'a/b/c'), missing: [] });
    // Already there (another process was first): nothing to do, no error.
    createStoreDirectory(path);
  });

  it('refuses a path under a file, however deep, naming the file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app.py'), '');
    for (const path of [join(dir, 'app.py/x.db'), join(dir, 'app.py/a/b/x.db')]) {
      expect(() => createStoreDirectory(path)).toThrow(expect.objectContaining({ name: 'StoreError', exitCode: 2, message: `store ${path} is under a path that is not a directory (${join(dir, 'app.py')} is a file)` }));
    }
  });

  it('refuses /proc and /sys at once (Node\'s recursive mkdir loops forever under /proc)', () => {
    expect(() => createStoreDirectory('/proc/nope/x.db')).toThrow(/^store \/proc\/nope\/x\.db cannot be created: \/proc is a kernel file system/);
    expect(() => storeDirectory('/sys/x.db')).toThrow(/\/sys is a kernel file system/);
    // A name that only starts the same is an ordinary path.
    expect(() => storeDirectory(join(tempDir(), 'procfs/x.db'))).not.toThrow();
  });

  it('the Action\'s store (written when it closes, after the deploy) refuses such a path when it opens, before the deploy', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    await expect(openSqlJsStore(join(dir, 'file/store.db'))).rejects.toThrow(/is under a path that is not a directory/);
    const store = await openSqlJsStore(join(dir, 'new/dir/store.db'));
    await store.close();
    expect(existsSync(join(dir, 'new/dir/store.db'))).toBe(true);
  });
});
