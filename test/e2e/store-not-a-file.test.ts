/**
 * A store path that names something other than a regular file: a named pipe (FIFO), a directory, a
 * symlink to /dev/null, or a FIFO where SQLite keeps its -wal file. SQLite opens a FIFO for reading
 * like a file, and that open waits for a writer for ever: `history`, `show`, `verdict`, `report`,
 * `analyze <id>` and `sync` never ended. A directory was "disk I/O error", /dev/null "the disk is
 * full" (prune) or "not a seqpulse store". Each is now exit 2 at once, saying what the path is.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startCli, tempDir, type CliResult } from '../helpers/cli.js';
import { storeWithFinishedRuns } from '../helpers/records.js';

const CRASH = /internal error|\n\s+at /;
/** Long enough for a loaded runner, short enough that a hang fails the test instead of timing it out. */
const LIMIT_MS = 20_000;

/** The CLI, killed if it has not ended after LIMIT_MS: a command that waits for ever fails the test with signal SIGKILL. */
async function cli(args: string[], cwd: string): Promise<CliResult> {
  const run = startCli(args, { cwd });
  const guard = setTimeout(() => run.child.kill('SIGKILL'), LIMIT_MS);
  try {
    return await run.done;
  } finally {
    clearTimeout(guard);
  }
}

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

describe('a store path that is not a regular file', () => {
  it('a FIFO, a directory, a symlink to /dev/null, a FIFO as its -wal file: every command that opens it exits 2 at once saying what it is; run deploys nothing', async () => {
    const cwd = realpathSync(tempDir());
    const good = join(cwd, 'good.db');
    const [stored] = await storeWithFinishedRuns(good, 1);
    const id = stored!.id;
    const fifo = join(cwd, 'fifo.db');
    mkfifo(fifo);
    const dir = join(cwd, 'dir.db');
    mkdirSync(dir);
    const devnull = join(cwd, 'null.db');
    symlinkSync('/dev/null', devnull);
    // A real store whose -wal is a FIFO: a reader opens through it (a writer is at work, it thinks).
    const walFifo = join(cwd, 'wal-fifo.db');
    copyFileSync(good, walFifo);
    mkfifo(`${walFifo}-wal`);
    const kinds: [string, RegExp][] = [
      [fifo, /cannot be used: it is a named pipe \(FIFO\), not a SQLite file/],
      [dir, /cannot be used: it is a directory, not a SQLite file/],
      [devnull, /cannot be used: it is a character device, not a SQLite file/],
      [walFifo, new RegExp(`cannot be used: its -wal file ${walFifo}-wal is a named pipe \\(FIFO\\), not a SQLite file`)],
    ];
    const marker = join(cwd, 'DEPLOYED');
    const deploy = ['--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`];
    const commands = (store: string): string[][] => [
      ['history', '--store', store],
      ['show', id, '--store', store],
      ['verdict', id, '--store', store],
      ['report', id, '--format', 'json', '--store', store],
      ['analyze', id, '--store', store],
      ['sync', '--to', join(cwd, 'team.db'), '--store', store],
      ['sync', '--to', store, '--store', good],
      ['prune', '--older-than', '30d', '--store', store],
      ['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--secret', 's3cret', '--pre-samples', '1', '--interval', '100ms', '--window', '500ms', '--store', store, ...deploy],
    ];
    const cases = kinds.flatMap(([store, says]) => commands(store).map((args) => ({ args, says })));
    // A few at a time: on a loaded runner, three dozen Node processes at once take longer to start than LIMIT_MS.
    const results: CliResult[] = [];
    for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map((c) => cli(c.args, cwd)))));
    cases.forEach((c, i) => {
      const r = results[i]!;
      const what = c.args.slice(0, 3).join(' ');
      expect(r.signal, `${what}: never ended`).toBeNull();
      expect(r.code, `${what}: ${r.stderr}`).toBe(2);
      expect(r.stderr, what).toMatch(c.says);
      expect(r.stderr, what).not.toMatch(CRASH);
    });
    expect(existsSync(marker), 'a run deployed').toBe(false);
  });

  it("the Action's store (SQLite in WebAssembly) on a FIFO: refused at once (reading the file waited for a writer for ever)", async () => {
    const cwd = tempDir();
    const fifo = join(cwd, 'fifo.db');
    mkfifo(fifo);
    const module = fileURLToPath(new URL('../../build/src/store/sqljs.js', import.meta.url));
    const script = `import(${JSON.stringify(module)}).then((m) => m.openSqlJsStore(${JSON.stringify(fifo)})).then(() => console.log('opened'), (e) => console.log(e.constructor.name + ': ' + e.message))`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, sig) => resolve(sig)));
    clearTimeout(guard);
    expect(signal, 'opening never ended').toBeNull();
    expect(out).toMatch(/StoreError: store .*fifo\.db cannot be used: it is a named pipe \(FIFO\), not a SQLite file/);
  });
});
