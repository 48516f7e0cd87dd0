/**
 * Whoever can write the store does not choose what `finish` runs, where it sends the source token,
 * or how it decides: `finish` uses what `start` stored only when the settings' MAC verifies with
 * its own secret (src/app/settings-mac.ts); otherwise their timing alone. The built CLI as real
 * processes, a real SQLite store rewritten the way a hostile writer would, real HTTP servers
 * counting the requests they get, and marker files a hostile command would create.
 */
import { createServer } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { closeAfterEach, runCli, tempDir } from '../helpers/cli.js';
import { DEFAULT_METRICS } from '../helpers/test-app.js';

const track = closeAfterEach();
const timing = ['--pre-samples', '3', '--interval', '100ms', '--window', '500ms', '--timeout', '2s'];

/** What a writer to the store does: the run's stored settings, changed in place. */
function tamper(store: string, id: string, change: (settings: Record<string, unknown>) => void): void {
  const db = new BetterSqlite3(store);
  try {
    const settings = JSON.parse((db.prepare('select settings from runs where id = ?').get(id) as { settings: string }).settings) as Record<string, unknown>;
    change(settings);
    db.prepare('update runs set settings = ? where id = ?').run(JSON.stringify(settings), id);
  } finally {
    db.close();
  }
}

/** A metrics command for the `command` source, and the marker a hostile replacement would create. */
function commandSource(dir: string): { script: string; marker: string; hostile: string[] } {
  const script = join(dir, 'metrics.js');
  writeFileSync(script, `console.log(JSON.stringify({ metrics: ${JSON.stringify(DEFAULT_METRICS)} }));`);
  const marker = join(dir, 'PWNED');
  const hostile = [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); console.log(JSON.stringify({ metrics: ${JSON.stringify(DEFAULT_METRICS)} }))`];
  return { script, marker, hostile };
}

/** A Prometheus server answering every query with 1, counting what it gets. */
async function prometheus(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.url} ${req.headers.authorization ?? ''}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [Date.now() / 1000, '1'] } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('finish trusts stored settings only when their MAC verifies', () => {
  it('a stored command changed in the store does not run: with its own config finish runs the configured one; without, exit 2 naming what to give', async () => {
    const dir = tempDir();
    const store = join(dir, 'team.db');
    const { script, marker, hostile } = commandSource(dir);
    writeFileSync(join(dir, 'seqpulse.yml'), `source: command\nsource_command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}]\n`);
    const env = { SEQPULSE_HMAC_SECRET: 'team-secret-1' };
    const startRun = async () => {
      const start = await runCli(['start', ...timing, '--store', store, '--json'], { cwd: dir, env });
      expect(start.code, start.stderr).toBe(0);
      const id = JSON.parse(start.stdout).deployment_id as string;
      // The writer points the source at its own command and turns the verdict off.
      tamper(store, id, (s) => Object.assign(s, { source_settings: { type: 'command', argv: hostile }, fail_on: 'never', dry_run: true }));
      return id;
    };

    const id = await startRun();
    const finish = await runCli(['finish', id, '--store', store, '--json'], { cwd: dir, env });
    expect(finish.code, finish.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(JSON.parse(finish.stdout)).toMatchObject({ samples: { post: 5 } });
    expect(JSON.parse(finish.stdout).dry_run).toBeUndefined();
    expect(finish.stderr).toContain(`warning: finish does not trust the settings \`start\` stored for run ${id}: their authentication does not match this command's secret`);
    expect(finish.stderr).toMatch(/from them it takes only the timing: interval 100ms, window 500ms, settle default, persist 3; .*not from the store: .*fail_on rollback, dry run off, .*source command, rules \(7 metrics\)\./);

    // Elsewhere, with no config of its own: nothing runs, exit 2 saying what to give and why.
    const other = await startRun();
    const bare = await runCli(['finish', other, '--store', store], { cwd: tempDir(), env });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/endpoints: no endpoint given/);
    expect(bare.stderr).toContain(`The settings \`start\` stored for run ${other} (source command) were not used: their authentication does not match this command's secret`);
    expect(bare.stderr).toMatch(/Give finish these settings itself \(flags, SEQPULSE_\* or seqpulse\.yml\), or the secret `start` had\./);
    expect(bare.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(marker)).toBe(false);
  });

  it('a Prometheus URL changed in the store gets no request (and never the token); untouched, finish uses the stored URL and queries', async () => {
    const real = track(await prometheus());
    const spy = track(await prometheus());
    const dir = tempDir();
    const store = join(dir, 'team.db');
    writeFileSync(join(dir, 'seqpulse.yml'), 'metrics:\n  up: { threshold: 50 }\n');
    const token = 'prom-token-0123456789';
    const env = { SEQPULSE_SOURCE_TOKEN: token };
    const start = async () => {
      const r = await runCli(['start', '--source', 'prometheus', '--prometheus-url', real.url, '--query', 'up=up', ...timing, '--store', store, '--json'], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).deployment_id as string;
    };

    // Untouched: a finish elsewhere, with only the token, observes what start was told to.
    const verified = await start();
    const before = real.requests.length;
    const finish = await runCli(['finish', verified, '--store', store, '--json'], { cwd: tempDir(), env });
    expect(finish.code, finish.stderr).toBe(0);
    expect(real.requests.length - before).toBe(5);
    expect(real.requests.every((r) => r.endsWith(`Bearer ${token}`))).toBe(true);
    expect(finish.stderr).toMatch(new RegExp(`finish uses the settings \`start\` stored for run ${verified}: interval 100ms, window 500ms, .*source prometheus, rules as resolved then`));

    // Pointed at the writer's server: finish has no Prometheus of its own to use, so it stops.
    const tampered = await start();
    tamper(store, tampered, (s) => Object.assign(s, { source_settings: { type: 'prometheus', url: spy.url, queries: { up: 'up' } } }));
    const refused = await runCli(['finish', tampered, '--store', store], { cwd: tempDir(), env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`The settings \`start\` stored for run ${tampered} (source prometheus) were not used: their authentication does not match`);
    // With its own config naming the server, finish goes there.
    const own = tempDir();
    writeFileSync(join(own, 'seqpulse.yml'), `source: prometheus\nprometheus_url: ${real.url}\nqueries:\n  up: up\nmetrics:\n  up: { threshold: 50 }\n`);
    const configured = await runCli(['finish', tampered, '--store', store, '--quiet'], { cwd: own, env });
    expect(configured.code, configured.stderr).toBe(0);
    expect(spy.requests).toEqual([]);
  });

  it('secret rotation: any secret of start\'s list with any of finish\'s verifies; a wrong secret, or none, is not trusted', async () => {
    const dir = tempDir();
    const store = join(dir, 'team.db');
    const { script } = commandSource(dir);
    const source = ['--source', 'command', '--source-command', `${process.execPath} ${script}`];
    const start = async (secrets: string[]) => {
      const r = await runCli(['start', ...source, ...timing, ...secrets.flatMap((s) => ['--secret', s]), '--store', store, '--json'], { cwd: dir, env: {} });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).deployment_id as string;
    };
    const finish = (id: string, secrets: string[]) => runCli(['finish', id, '--store', store, ...secrets.flatMap((s) => ['--secret', s]), '--quiet'], { cwd: tempDir(), env: {} });

    for (const [started, finishing] of [[['old-secret'], ['new-secret', 'old-secret']], [['new-secret', 'old-secret'], ['new-secret']]]) {
      const id = await start(started!);
      const r = await finish(id, finishing!);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`finish uses the settings \`start\` stored for run ${id}: interval 100ms, window 500ms`);
      expect(r.stderr).toMatch(/source command/);
    }

    const id = await start(['old-secret']);
    const wrong = await finish(id, ['another-secret']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`were not used: their authentication does not match this command's secret`);
    // Without any secret, finish cannot tell: the same, with that reason.
    const none = await finish(id, []);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('were not used: this command has no secret to check them with');
  });

  it('the MAC stays in the store: show --json and the logs never carry it', async () => {
    const dir = tempDir();
    const { script } = commandSource(dir);
    const env = { SEQPULSE_HMAC_SECRET: 'team-secret-2' };
    const start = await runCli(['start', '--source', 'command', '--source-command', `${process.execPath} ${script}`, ...timing, '--json', '--log-format', 'json'], { cwd: dir, env });
    const id = JSON.parse(start.stdout).deployment_id as string;
    const db = new BetterSqlite3(join(dir, '.seqpulse', 'seqpulse.db'));
    const stored = JSON.parse((db.prepare('select settings from runs where id = ?').get(id) as { settings: string }).settings) as { mac: string[] };
    db.close();
    expect(stored.mac).toHaveLength(1);
    const shown = await runCli(['show', id, '--json'], { cwd: dir, env });
    expect(JSON.parse(shown.stdout).run.settings.mac).toBeUndefined();
    const finish = await runCli(['finish', id, '--json', '--log-format', 'json'], { cwd: dir, env });
    expect(finish.code, finish.stderr).toBe(0);
    for (const out of [start.stdout, start.stderr, shown.stdout, shown.stderr, finish.stdout, finish.stderr]) {
      expect(out).not.toContain(stored.mac[0]);
      expect(out).not.toContain('team-secret-2');
    }
    expect(readFileSync(join(dir, '.seqpulse', 'seqpulse.db')).toString('latin1')).not.toContain('team-secret-2');
  });
});
