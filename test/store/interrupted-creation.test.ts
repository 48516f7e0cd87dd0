/**
 * A store whose creation was cut off part-way (a full disk, a kill) is completed by the next open:
 * SQLite runs the first migration's CREATE statements outside a transaction, and a half-created
 * schema without its migration record made every later open fail ("table runs already exists").
 * The disk fills at every size a real file-size limit (RLIMIT_FSIZE, `ulimit -f`) can cut it at.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { run } from '../helpers/records.js';

const OPEN = fileURLToPath(new URL('../../build/src/store/open.js', import.meta.url));

/** Opens (creates) the store at `path` in a child process whose files may not grow past `blocks` of 512 bytes. */
function createUnder(path: string, blocks: number): number | null {
  const script = `import(${JSON.stringify(OPEN)}).then((m) => m.openStore(${JSON.stringify(path)})).then((s) => s.close()).then(() => process.exit(0), () => process.exit(2))`;
  return spawnSync('sh', ['-c', `ulimit -f ${blocks} && exec "$0" -e "$1"`, process.execPath, script], { stdio: 'ignore' }).status;
}

describe('a store whose creation was cut off', () => {
  it('is completed by the next open, whatever size the disk filled at', async () => {
    let cut = 0;
    // From a few WAL frames (4 KiB pages) to past the whole schema, two frames at a time.
    for (let blocks = 8; blocks <= 320; blocks += 16) {
      const path = join(mkdtempSync(join(tmpdir(), 'seqpulse-cut-')), 'store.db');
      const code = createUnder(path, blocks);
      if (code !== 0) cut++;
      if (!existsSync(path)) continue;
      const store = await openStore(path);
      const r = run();
      await store.createRun(r);
      expect(await store.getRun(r.id), `cut at ${blocks * 512} bytes`).toMatchObject({ id: r.id });
      await store.close();
      const db = new BetterSqlite3(path, { readonly: true });
      const tables = (db.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[]).map((t) => t.name);
      db.close();
      expect(tables, `cut at ${blocks * 512} bytes`).toEqual(expect.arrayContaining(['runs', 'samples', 'verdicts']));
    }
    // The sweep did cut creation short somewhere (or it would test nothing).
    expect(cut).toBeGreaterThan(3);
  });
});
