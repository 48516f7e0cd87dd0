/**
 * A shared store with other writers may hold, under a local run's id, another run: another project,
 * another verdict, other samples (a script, a copied store, someone hiding a rollback behind an
 * `ok`). `seqpulse sync` counted such a run "already up to date", or, when the target's copy was
 * older, overwrote its project and pushed samples and a verdict beside the other ones. It now
 * changes neither copy, counts and names the run, and tells apart a target that is merely behind
 * or ahead (announced, settled as abandoned, finished elsewhere), which stays a normal sync. The
 * built CLI, against a SQLite file and the test run's Postgres.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { RunRecord, StoredSample } from '../../src/store/types.js';
import { fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { run, sample, verdict } from '../helpers/records.js';
import { DEFAULT_METRICS, startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };

const FINISHED = { status: 'finished', updated_at: '2026-01-18T12:06:00.000Z', finished_at: '2026-01-18T12:06:00.000Z', result: 'success', deploy_exit_code: 0 } as const;

/** A finished run of three samples and a rollback verdict, as a runner's local store holds it. */
function localRun(): { run: RunRecord; samples: StoredSample[] } {
  const r = run(FINISHED);
  return { run: r, samples: [0, 1, 2].map((seq) => sample(r.id, seq, { error_rate: 0.2 })) };
}

async function write(location: string, runs: RunRecord[], samples: StoredSample[], verdicts: RunRecord[], verdictOf = (r: RunRecord) => verdict(r.id, { verdict: 'rollback_recommended', exit_code: 1 })) {
  const store = await openStore(location);
  try {
    await store.upsertRuns(runs);
    await store.addSamples(samples);
    await store.saveVerdicts(verdicts.map(verdictOf));
  } finally {
    await store.close();
  }
}

/** Every row of the given runs, as stored. */
async function dump(location: string, ids: string[]) {
  const store = await openStore(location);
  try {
    return { runs: await Promise.all(ids.map((id) => store.getRun(id))), samples: await store.sampleRowsOf(ids), verdicts: await store.verdictRowsOf(ids) };
  } finally {
    await store.close();
  }
}

async function targets(): Promise<[string, string][]> {
  return [
    ['SQLite', join(tempDir(), 'team.db')],
    ['Postgres', await createTestDatabase()],
  ];
}

describe('sync to a target holding another run under a local id', () => {
  it('another project (older there), another verdict, other samples at the same ticks, one foreign sample among fewer: each reported, exit 0, neither copy changed; the identical run stays up to date', async () => {
    for (const [name, target] of await targets()) {
      const cwd = tempDir();
      const local = join(cwd, '.seqpulse', 'seqpulse.db');
      const [project, verdictRun, samplesRun, oneSample, same] = Array.from({ length: 5 }, localRun);
      const mine = [project!, verdictRun!, samplesRun!, oneSample!, same!];
      await write(local, mine.map((m) => m.run), mine.flatMap((m) => m.samples), mine.map((m) => m.run));
      // The target's copies: written by someone else under the same ids.
      await write(
        target,
        [{ ...project!.run, project: 'billing', updated_at: '2026-01-18T12:01:00.000Z' }, verdictRun!.run, samplesRun!.run, oneSample!.run, same!.run],
        [
          ...project!.samples,
          ...verdictRun!.samples,
          ...samplesRun!.samples.map((s) => ({ ...s, id: randomUUID(), metrics: { error_rate: 0 } })),
          { ...oneSample!.samples[0]!, id: randomUUID(), metrics: { error_rate: 0 } },
          ...same!.samples,
        ],
        [project!.run, samplesRun!.run, same!.run],
      );
      await write(target, [], [], [verdictRun!.run], (r) => verdict(r.id, { verdict: 'ok', exit_code: 0 }));
      await write(target, [], [], [oneSample!.run]);
      const ids = mine.map((m) => m.run.id);
      const [localBefore, targetBefore] = [await dump(local, ids), await dump(target, ids)];

      const r = await runCli(['sync', '--to', target, '--json'], { cwd });
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out, name).toMatchObject({ pushed: { runs: 0, samples: 0, verdicts: 0 }, up_to_date: 1, conflicts: 4 });
      expect(out.conflicting, name).toEqual(
        [
          { id: project!.run.id, differs: ['project'] },
          { id: verdictRun!.run.id, differs: ['verdict'] },
          { id: samplesRun!.run.id, differs: ['samples'] },
          { id: oneSample!.run.id, differs: ['samples'] },
        ].sort((a, b) => (a.id < b.id ? -1 : 1)),
      );
      expect(r.stderr).toMatch(/warning: 4 local run\(s\) held in .* as other runs under the same ids: .*Neither copy was changed/);
      expect(r.stderr).toContain(`${project!.run.id} (another project)`);
      expect(r.stderr).toContain(`${verdictRun!.run.id} (another verdict)`);
      expect(await dump(local, ids), name).toEqual(localBefore);
      expect(await dump(target, ids), name).toEqual(targetBefore);

      const text = await runCli(['sync', '--to', target], { cwd });
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/; 1 runs already up to date; 4 runs in conflict, left as they are\.\n$/);
    }
  });

  it('a target merely behind or ahead is no conflict: announced with part of the samples, settled as abandoned, more samples from a finish that wrote there, concluded there while still open here', async () => {
    for (const [name, target] of await targets()) {
      const cwd = tempDir();
      const local = join(cwd, '.seqpulse', 'seqpulse.db');
      const [announced, abandoned, more] = Array.from({ length: 3 }, localRun);
      const open = run({ status: 'observing', updated_at: '2026-01-18T12:09:00.000Z' });
      const openSamples = [0, 1].map((seq) => sample(open.id, seq, { error_rate: 0.01 }));
      await write(local, [announced!.run, abandoned!.run, more!.run, open], [...announced!.samples, ...abandoned!.samples, ...more!.samples, ...openSamples], [announced!.run, abandoned!.run, more!.run]);
      await write(
        target,
        [
          { ...announced!.run, status: 'started', updated_at: '2026-01-18T12:00:00.000Z', finished_at: null, result: null, deploy_exit_code: null },
          { ...abandoned!.run, status: 'abandoned', updated_at: '2026-01-18T12:00:00.000Z', finished_at: '2026-01-20T00:00:00.000Z', result: null, deploy_exit_code: null },
          more!.run,
          { ...open, status: 'finished', updated_at: '2026-01-18T12:08:00.000Z', finished_at: '2026-01-18T12:08:00.000Z' },
        ],
        [...announced!.samples.slice(0, 1), ...more!.samples, sample(more!.run.id, 7, { error_rate: 0.2 }, { phase: 'post' }), ...openSamples],
        [more!.run, open],
        (r) => verdict(r.id, { verdict: 'rollback_recommended', exit_code: 1, ...(r.id === open.id ? { verdict: 'ok', exit_code: 0 } : {}) }),
      );

      const r = await runCli(['sync', '--to', target, '--json'], { cwd });
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stderr, name).toBe('');
      expect(JSON.parse(r.stdout), name).toMatchObject({ pushed: { runs: 2, samples: 5, verdicts: 2 }, up_to_date: 2, conflicts: 0, conflicting: [] });
      const after = await dump(target, [announced!.run.id, abandoned!.run.id, open.id]);
      expect(after.runs.map((x) => x?.status), name).toEqual(['finished', 'finished', 'finished']);
      expect(after.samples.filter((s) => s.run_id === announced!.run.id), name).toHaveLength(3);
    }
  });

  it('more conflicts than the warning names: the first five by id, then how many more; --json lists them all', async () => {
    const cwd = tempDir();
    const local = join(cwd, '.seqpulse', 'seqpulse.db');
    const target = join(cwd, 'team.db');
    const runs = Array.from({ length: 8 }, () => run(FINISHED));
    await write(local, runs, [], runs);
    await write(target, runs.map((r) => ({ ...r, env: 'staging' })), [], []);
    const r = await runCli(['sync', '--to', target, '--json'], { cwd });
    expect(r.code).toBe(0);
    const ids = runs.map((x) => x.id).sort();
    expect(JSON.parse(r.stdout).conflicting.map((c: { id: string }) => c.id)).toEqual(ids);
    expect(r.stderr).toContain(`: ${ids.slice(0, 5).map((id) => `${id} (another env)`).join(', ')} and 3 more. `);
  });

  it('finish --sync, after someone stored an `ok` verdict for the run in the shared store: a warning naming the run, never "Synced"; the exit code and the local rollback verdict stand; the shared store\'s verdict is left', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    try {
      const cwd = tempDir();
      const target = join(cwd, 'team.db');
      const start = await runCli(['start', ...fastFlags(app.url), '--sync', target, '--json'], { cwd, env });
      expect(start.code, start.stderr).toBe(0);
      const { deployment_id: id } = JSON.parse(start.stdout);
      await write(target, [], [], [{ ...run(), id }], (r) => verdict(r.id, { verdict: 'ok', exit_code: 0 }));
      app.setMetrics({ ...DEFAULT_METRICS, requests_per_sec: 20 });
      const postFlags = fastFlags(app.url).filter((flag, i, all) => flag !== '--pre-samples' && all[i - 1] !== '--pre-samples');
      const finish = await runCli(['finish', id, ...postFlags, '--sync', target, '--json'], { cwd, env });
      expect(finish.code, finish.stderr).toBe(1);
      expect(JSON.parse(finish.stdout).verdict).toBe('rollback_recommended');
      expect(finish.stderr).toContain(`warning: 1 local run(s) held in ${target} as other runs under the same ids: ${id} (another verdict)`);
      expect(finish.stderr).not.toMatch(/Synced run/);
      expect((await dump(target, [id])).verdicts.map((v) => v.verdict)).toEqual(['ok']);
    } finally {
      await app.close();
    }
  });
});
