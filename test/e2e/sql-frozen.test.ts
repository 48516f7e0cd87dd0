/**
 * The sql source when Postgres stops answering mid-run (SIGSTOP: sockets open, nothing answers, as
 * a stalled host or a partition looks): each sample fails within the per-request timeout, the run
 * goes on and ends in bounded time, and once the server answers again the next samples work.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deployHook, runCli, startCli, tempDir } from '../helpers/cli.js';
import { asAdmin, createReaderRole } from '../helpers/postgres.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.js';
import { waitFor } from '../helpers/wait-for.js';

let server: PostgresServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Sample { phase: string; seq: number; ok: boolean; error: string | null; scheduled_at: string; taken_at: string; metrics: Record<string, number> | null }

describe('sql source on a Postgres that freezes during the window', () => {
  it('failed samples within the timeout, the run ends in bounded time, samples work again after the thaw', async () => {
    server = await startPostgres({ prefix: 'seqpulse-pg-frozen-' });
    await asAdmin(server.url, ['create table orders (id int)', 'insert into orders select generate_series(1, 40)']);
    const reader = await createReaderRole(server.url, ['orders']);
    const frozen = server;
    const hook = await deployHook(() => frozen.freeze());
    const dir = tempDir();
    writeFileSync(join(dir, 'seqpulse.yml'), 'metrics:\n  orders: { threshold: 50 }\n');
    const timeoutMs = 1000;
    const started = Date.now();
    const cli = startCli(
      ['run', '--source', 'sql', '--sql-url', reader, '--query', 'orders=select count(*) from orders', '--pre-samples', '2', '--interval', '700ms',
        '--window', '9s', '--timeout', `${timeoutMs}ms`, '--retries', '0', '--no-early-exit', '--json', '--log-format', 'json', '--', ...hook.argv()],
      { cwd: dir },
    );
    try {
      // Frozen at the deploy; thawed once two POST samples have failed.
      const failedPost = () =>
        cli.output.stderr
          .split('\n')
          .filter((l) => l.startsWith('{') && l.endsWith('}'))
          .map((l) => JSON.parse(l) as { event?: string; phase?: string; answered?: number })
          .filter((l) => l.event === 'sample' && l.phase === 'post' && l.answered === 0).length;
      await waitFor(() => failedPost() >= 2, 'two failed POST samples while frozen', 30_000);
      frozen.thaw();
      const r = await cli.done;
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(25_000);
      const report = JSON.parse(r.stdout) as { deployment_id: string; samples: { post: number; failed: number } };
      expect(report.samples.failed).toBeGreaterThanOrEqual(2);
      expect(report.samples.post).toBeGreaterThanOrEqual(3);

      // The stored run: finished, its failed POST samples each ended within the timeout with the reason, later ones read the data again.
      const shown = await runCli(['show', report.deployment_id, '--json'], { cwd: dir });
      const { run, samples } = JSON.parse(shown.stdout) as { run: { status: string }; samples: Sample[] };
      expect(run.status).toBe('finished');
      const post = samples.filter((s) => s.phase === 'post').sort((a, b) => a.seq - b.seq);
      const failed = post.filter((s) => !s.ok);
      expect(failed.length).toBeGreaterThanOrEqual(2);
      for (const s of failed) {
        expect(s.error).toMatch(/orders: .*(no answer within [\d.]+m?s|the database did not answer)/);
        expect(Date.parse(s.taken_at) - Date.parse(s.scheduled_at)).toBeLessThan(timeoutMs + 500);
      }
      const lastFailed = Math.max(...failed.map((s) => s.seq));
      const after = post.filter((s) => s.seq > lastFailed);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((s) => s.ok && s.metrics?.orders === 40)).toBe(true);
    } finally {
      cli.child.kill('SIGKILL');
      await hook.close();
    }
  }, 60_000);
});
