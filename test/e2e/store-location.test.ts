/**
 * A store location that is a URL of a scheme seqpulse has no store for (a typo of postgres://,
 * another database) is a usage error naming where it was set, never a SQLite file: taken as a
 * path it made directories named after the user and password, and a run exited 0.
 */
import { existsSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { runCli, tempDir } from '../helpers/cli.js';

const PASSWORD = 'S3cretPw';
const CRASH = /internal error|\n\s+at /;

describe('a store location of an unsupported scheme', () => {
  it('--store, --sync, sync --to, SEQPULSE_STORE, SEQPULSE_SYNC, store: and sync: in seqpulse.yml: exit 2 naming where it was set and the supported schemes, no password, nothing deployed or created', async () => {
    const cwd = realpathSync(tempDir());
    const marker = join(cwd, 'DEPLOYED');
    const deploy = ['--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`];
    const runFlags = ['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--secret', 's3cret', '--pre-samples', '1', '--interval', '100ms', '--window', '500ms'];
    const url = (scheme: string) => `${scheme}://alice:${PASSWORD}@db.example.com:5432/seqpulse`;
    const cases: { args: string[]; env?: Record<string, string>; file?: string; where: string; scheme: string }[] = [
      { args: [...runFlags, '--store', url('postgress'), ...deploy], where: 'flags: --store: names a postgress:// URL', scheme: 'postgress' },
      { args: [...runFlags, '--store', url('pg'), ...deploy], where: 'flags: --store: names a pg:// URL', scheme: 'pg' },
      { args: [...runFlags, '--sync', url('mysql'), ...deploy], where: 'flags: --sync: names a mysql:// URL', scheme: 'mysql' },
      { args: ['history', '--store', 'pg://alice:S3cretPw@127.0.0.1:1/db'], where: 'flags: --store: names a pg:// URL', scheme: 'pg' },
      { args: ['history'], env: { SEQPULSE_STORE: url('sqlite') }, where: 'environment: SEQPULSE_STORE: names a sqlite:// URL', scheme: 'sqlite' },
      { args: ['show', 'abcd1234'], env: { SEQPULSE_SYNC: url('redis') }, where: 'environment: SEQPULSE_SYNC: names a redis:// URL', scheme: 'redis' },
      { args: ['verdict', 'abcd1234'], file: `store: "${url('postgre')}"\n`, where: 'seqpulse.yml:1: store: names a postgre:// URL', scheme: 'postgre' },
      { args: ['report', 'abcd1234'], file: `project: p\nsync: "${url('mongodb')}"\n`, where: 'seqpulse.yml:2: sync: names a mongodb:// URL', scheme: 'mongodb' },
      { args: ['sync', '--to', url('mysql')], where: 'seqpulse: --to names a mysql:// URL', scheme: 'mysql' },
      { args: ['history', '--store', `file://db.example.com/srv/seqpulse.db`], where: 'flags: --store: is a file:// URL naming another host', scheme: 'file' },
    ];
    for (const c of cases) {
      if (c.file !== undefined) writeFileSync(join(cwd, 'seqpulse.yml'), c.file);
      const r = await runCli(c.args, { cwd, env: c.env });
      const what = `${c.args.join(' ')} ${JSON.stringify(c.env ?? c.file ?? '')}`;
      expect(r.code, what).toBe(2);
      expect(r.stderr, what).toContain(c.where);
      if (c.scheme !== 'file') expect(r.stderr, what).toContain('give a SQLite path (or file:///path) or a postgres:// (postgresql://) URL');
      expect(r.stdout + r.stderr, what).not.toContain(PASSWORD);
      expect(r.stderr, what).not.toMatch(CRASH);
      if (c.file !== undefined) writeFileSync(join(cwd, 'seqpulse.yml'), '');
    }
    expect(existsSync(marker)).toBe(false);
    // Nothing but the config file this test wrote: no `postgress:/alice:S3cretPw@...` directories, no store.
    expect(readdirSync(cwd)).toEqual(['seqpulse.yml']);
  });

  it('a postgres:// URL that does not parse (port past 65535, an unclosed [): exit 2 before anything, saying what to check, not "Invalid URL" with a hint to check the server is reachable', async () => {
    const cwd = realpathSync(tempDir());
    const cases = [
      ['history', '--store', `postgres://alice:${PASSWORD}@127.0.0.1:99999/db`],
      ['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--secret', 's3cret', '--store', `postgresql://alice:${PASSWORD}@[db/seqpulse`, '--', process.execPath, '-e', ''],
      ['run', '--source', 'sql', '--sql-url', `postgres://alice:${PASSWORD}@db:70000/metrics`, '--', process.execPath, '-e', ''],
    ];
    for (const args of cases) {
      const r = await runCli(args, { cwd });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/flags: --(store|sql-url): is not a valid postgres:\/\/ URL: check the host, the port \(1 to 65535\)/);
      expect(r.stderr).not.toMatch(/Invalid URL|reachable/);
      expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('a close misspelling of postgres:// is named; a file:/// URL and a file: path are SQLite files', async () => {
    const cwd = realpathSync(tempDir());
    const typo = await runCli(['history', '--store', `postgress://alice:${PASSWORD}@h/db`], { cwd });
    expect(typo.stderr).toContain('(did you mean postgres:// or postgresql://?)');
    const short = await runCli(['history', '--store', `pg://alice:${PASSWORD}@h/db`], { cwd });
    expect(short.stderr).toContain('(did you mean postgres://?)');

    const path = join(cwd, 'team runs.db');
    await (await openSqliteStore(path)).close();
    for (const location of [pathToFileURL(path).href, 'file:team runs.db']) {
      const r = await runCli(['history', '--store', location], { cwd });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`No runs found in ${path}.`);
    }
  });
});

describe('a sql_url of an unsupported scheme', () => {
  it('--sql-url, SEQPULSE_SQL_URL and sql_url: in seqpulse.yml: exit 2 naming where it was set and the schemes the sql source reads, no password, nothing deployed or created; sqlite: and file: paths still read a SQLite file', async () => {
    const cwd = realpathSync(tempDir());
    const marker = join(cwd, 'DEPLOYED');
    const deploy = ['--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`];
    // A query on SQLite starts a process of its own: time enough for it on a busy machine.
    const runFlags = ['run', '--source', 'sql', '--query', 'orders=select 1', '--pre-samples', '1', '--interval', '100ms', '--window', '300ms', '--timeout', '10s'];
    const rules = 'metrics:\n  orders: { threshold: 50 }\n';
    const url = (scheme: string) => `${scheme}://alice:${PASSWORD}@db.example.com:5432/shop`;
    const cases: { args: string[]; env?: Record<string, string>; file?: string; where: string }[] = [
      // Taken as a SQLite path, this one deployed and failed every sample ('Cannot open database because the directory does not exist'): exit 3.
      { args: [...runFlags, '--sql-url', url('postgress'), ...deploy], where: 'flags: --sql-url: names a postgress:// URL, which is not a database the sql source reads' },
      { args: [...runFlags, ...deploy], env: { SEQPULSE_SQL_URL: url('mysql') }, where: 'environment: SEQPULSE_SQL_URL: names a mysql:// URL' },
      { args: [...runFlags, ...deploy], file: `sql_url: "${url('pg')}"\n`, where: 'seqpulse.yml:3: sql_url: names a pg:// URL' },
      { args: ['doctor', '--source', 'sql', '--query', 'orders=select 1', '--sql-url', url('sqlit')], where: '(did you mean sqlite://?)' },
    ];
    for (const c of cases) {
      writeFileSync(join(cwd, 'seqpulse.yml'), rules + (c.file ?? ''));
      const r = await runCli(c.args, { cwd, env: { SEQPULSE_SQL_URL: undefined, ...c.env } });
      const what = `${c.args.join(' ')} ${JSON.stringify(c.env ?? c.file ?? '')}`;
      expect(r.code, what).toBe(2);
      expect(r.stdout + r.stderr, what).toContain(c.where);
      expect(r.stdout + r.stderr, what).toContain('give a SQLite path (or sqlite:path, file:///path) or a postgres:// (postgresql://) URL');
      expect(r.stdout + r.stderr, what).not.toContain(PASSWORD);
      expect(r.stderr, what).not.toMatch(CRASH);
    }
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(cwd)).toEqual(['seqpulse.yml']);

    writeFileSync(join(cwd, 'seqpulse.yml'), rules);
    const db = new BetterSqlite3(join(cwd, 'shop.db'));
    db.close();
    for (const location of ['sqlite:shop.db', `sqlite://${join(cwd, 'shop.db')}`, pathToFileURL(join(cwd, 'shop.db')).href]) {
      const r = await runCli([...runFlags, '--sql-url', location, '--json', ...deploy], { cwd, env: { SEQPULSE_SQL_URL: undefined } });
      expect(r.code, `${location}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout).samples).toMatchObject({ failed: 0 });
    }
  });
});

describe('a postgres:// store URL whose password is not percent-encoded', () => {
  it.each(['S3cr#tPw9', 'S3cr?tPw9', 'S3cr/tPw9', 'S3cr@tPw9', 'S3cret Pw9'])('%j: history, sync --to and run --sync never print it (it was printed whole: an unencoded #, ?, / or a space stops a URL\'s userinfo)', async (password) => {
    const cwd = realpathSync(tempDir());
    const url = `postgres://alice:${password}@127.0.0.1:1/db?sslpassword=SslS3cret9`;
    writeFileSync(join(cwd, 'seqpulse.yml'), '');
    for (const args of [['history', '--store', url], ['sync', '--to', url], ['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--secret', 's3cret', '--pre-samples', '1', '--interval', '100ms', '--window', '300ms', '--timeout', '100ms', '--retries', '0', '--sync', url, '--sync-timeout', '2s', '--log-format', 'json', '--', process.execPath, '-e', '']]) {
      const r = await runCli(args, { cwd });
      const out = r.stdout + r.stderr;
      for (const part of [password, password.slice(0, 4), password.slice(5), 'SslS3cret9']) expect(out, `${args[0]}: ${out}`).not.toContain(part);
      expect(out).not.toMatch(CRASH);
    }
  });
});
