/** Local first, shared store second: `--sync` after a run, and `seqpulse sync`, against the real test Postgres. */
import { randomUUID } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { fastFlags, runCli, startCli, tempDir } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { run, sample, storeWithFinishedRuns, verdict } from '../helpers/records.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait-for.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };

async function counts(url: string) {
  const store = await openStore(url);
  try {
    const runs = await store.listRuns({ limit: 10_000 });
    const state = await store.syncState(runs.map((r) => r.id));
    return { runs: runs.length, samples: [...state.values()].reduce((n, s) => n + s.samples, 0), verdicts: [...state.values()].filter((s) => s.verdict).length };
  } finally {
    await store.close();
  }
}

/** A local store with `n` finished runs of `samples` samples each (ids given, so stores can share runs). */
async function seed(store: Store, ids: string[], samples = 20) {
  for (const id of ids) {
    await store.createRun(run({ id, status: 'finished' }));
    await store.addSamples(Array.from({ length: samples }, (_, i) => sample(id, i, { error_rate: 0.01, n: i }, { scheduled_at: `2026-01-18T12:00:${String(i).padStart(2, '0')}.000Z` })));
    await store.saveVerdict(verdict(id));
  }
}

describe('sync', () => {
  it('a shared store that is down: the run completes locally with a warning, same exit code; `sync` pushes it later, once', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    const cwd = tempDir();
    try {
      const down = 'postgres://u:secret-pw@127.0.0.1:9/db';
      const r = await runCli(['run', ...fastFlags(app.url), '--sync', down, '--json', '--', process.execPath, '-e', ''], { cwd, env });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/Could not sync run [0-9a-f-]+ to postgres:\/\/\*\*\*@127\.0\.0\.1:9\/db: .*push it later with `seqpulse sync`/);
      expect(r.stdout + r.stderr).not.toContain('secret-pw');
      // The overlap check on the shared store is skipped with one warning, not retried at every step.
      expect(r.stderr.match(/Shared store postgres:\/\/\*\*\*@127\.0\.0\.1:9\/db unavailable \(.*\): deploys from other runners cannot be checked/g)).toHaveLength(1);
      const id = JSON.parse(r.stdout).deployment_id;

      const url = await createTestDatabase();
      const first = await runCli(['sync', '--to', url, '--json'], { cwd });
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ pushed: { runs: 1, samples: 13, verdicts: 1 }, up_to_date: 0 });
      const second = await runCli(['sync', '--to', url, '--json'], { cwd });
      expect(JSON.parse(second.stdout)).toMatchObject({ pushed: { runs: 0, samples: 0, verdicts: 0 }, up_to_date: 1 });
      expect(await counts(url)).toEqual({ runs: 1, samples: 13, verdicts: 1 });
      const remote = await runCli(['verdict', id, '--store', url, '--json'], { cwd });
      expect(JSON.parse(remote.stdout).deployment_id).toBe(id);
    } finally {
      await app.close();
    }
  });

  it('--sync to a reachable store pushes the run right after the local write', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    try {
      const url = await createTestDatabase();
      const r = await runCli(['run', ...fastFlags(app.url), '--sync', url, '--json', '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/Synced run [0-9a-f-]+ to postgres:\/\/\*\*\*@/);
      expect(await counts(url)).toEqual({ runs: 1, samples: 13, verdicts: 1 });
    } finally {
      await app.close();
    }
  });

  it('two runners with their own local stores, syncing to one Postgres: overlapping runs both carry a concurrent_deployment hint', async () => {
    const url = await createTestDatabase();
    const app = await startTestApp({ secret: TEST_SECRET });
    const [cwdA, cwdB] = [tempDir(), tempDir()];
    // Runner A's deploy lasts until runner B has announced its run too, however slowly B starts:
    // A's own look for overlapping runs, at its end, must find B.
    const release = join(cwdA, 'release');
    try {
      const flags = (window: string) => [...fastFlags(app.url, ['--window', window]), '--sync', url, '--project', 'twin', '--env', 'prod', '--json'];
      const waitForRelease = `const fs = require('fs'); const t = setInterval(() => fs.existsSync(${JSON.stringify(release)}) && clearInterval(t), 20);`;
      const long = startCli(['run', ...flags('1s'), '--', process.execPath, '-e', waitForRelease], { cwd: cwdA, env });
      // Runner A announced its run in the shared store while it runs.
      await waitFor(async () => (await counts(url)).runs === 1, 'the first run to be announced in the shared store');
      const short = startCli(['run', ...flags('500ms'), '--', process.execPath, '-e', ''], { cwd: cwdB, env });
      await waitFor(async () => (await counts(url)).runs === 2, 'the second run to be announced in the shared store');
      writeFileSync(release, '');
      const first = JSON.parse((await long.done).stdout);
      const second = JSON.parse((await short.done).stdout);
      const hint = (r: { hints: { code: string; message: string }[] }) => r.hints.find((h) => h.code === 'concurrent_deployment');
      expect(hint(second)?.message).toContain(first.deployment_id);
      expect(hint(first)?.message).toContain(second.deployment_id);
      // Each local store holds its own run only; the shared one holds both, complete.
      const stored = (r: { samples: { pre: number; post: number; failed: number } }) => r.samples.pre + r.samples.post + r.samples.failed;
      expect(await counts(url)).toEqual({ runs: 2, samples: stored(first) + stored(second), verdicts: 2 });
    } finally {
      // Runner A's deploy ends even when the test failed before releasing it.
      writeFileSync(release, '');
      await app.close();
    }
  });

  it('a sync cut off half way is finished by the next one, with no duplicate', async () => {
    const dir = tempDir();
    const local = await openStore(join(dir, 'local.db'));
    const ids = Array.from({ length: 6 }, () => crypto.randomUUID());
    await seed(local, ids);
    const url = await createTestDatabase();
    const remote = await openStore(url);
    const { syncStores } = await import('../../src/app/sync.js');
    // The first push stopped after two runs (and one of them without its verdict).
    await syncStores(local, remote, ids.slice(0, 2));
    await remote.upsertRun({ ...(await local.getRun(ids[2]!))! });
    const rest = await syncStores(local, remote);
    expect(rest).toMatchObject({ upToDate: 2, verdicts: 4, samples: 80 });
    expect(await counts(url)).toEqual({ runs: 6, samples: 120, verdicts: 6 });
    await local.close();
    await remote.close();
  });

  it('20 processes syncing at once into one Postgres: no duplicate, no deadlock, no lost row', async () => {
    const dir = tempDir();
    const shared = Array.from({ length: 5 }, () => crypto.randomUUID());
    const template = join(dir, 'template.db');
    const base = await openStore(template);
    await seed(base, shared);
    await base.close();
    const stores: string[] = [];
    for (let i = 0; i < 20; i++) {
      const path = join(dir, `runner-${i}.db`);
      copyFileSync(template, path); // every runner holds the 5 shared runs...
      const store = await openStore(path);
      await seed(store, Array.from({ length: 5 }, () => crypto.randomUUID())); // ...and 5 of its own
      await store.close();
      stores.push(path);
    }
    const url = await createTestDatabase();
    // Migrations run on first use: 20 processes racing to create the schema is part of the test.
    const results = await Promise.all(stores.map((path) => startCli(['sync', '--store', path, '--to', url, '--json'], { cwd: dir }).done));
    for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await counts(url)).toEqual({ runs: 105, samples: 105 * 20, verdicts: 105 });
  }, 60_000);

  it('`seqpulse sync` settles, in the shared store, runs nobody will conclude (a day without news past their planned end), whoever owned them; never one within its planned window; the owner\'s concluded copy still replaces it', async () => {
    const url = await createTestDatabase();
    const day = 86_400_000;
    const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
    const elsewhere = { ...run().settings, owner: { host: 'ephemeral-runner-7', pid: 4242 } };
    // Announced by a CI runner that is gone: its final push failed, the shared store has it `started` for good.
    const announced = run({ status: 'started', created_at: ago(2 * day), updated_at: ago(2 * day), settings: elsewhere });
    // A three-day window that began two days ago, and a run announced an hour ago: both still going as far as anyone knows.
    const longWindow = run({ status: 'observing', created_at: ago(2 * day), updated_at: ago(2 * day), deployed_at: ago(2 * day), settings: { ...elsewhere, window_ms: 3 * day } });
    const recent = run({ status: 'started', created_at: ago(3_600_000), updated_at: ago(3_600_000), settings: elsewhere });
    const shared = await openStore(url);
    await shared.upsertRuns([announced, longWindow, recent]);
    await shared.close();

    const cwd = tempDir();
    const local = await openStore(join(cwd, '.seqpulse', 'seqpulse.db'));
    await seed(local, [randomUUID()], 5);
    await local.close();
    const first = await runCli(['sync', '--to', url, '--json'], { cwd });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ pushed: { runs: 1 }, settled: 1 });
    const states = async () => {
      const store = await openStore(url);
      try {
        return Object.fromEntries(await Promise.all([announced, longWindow, recent].map(async (r) => [r.id, (await store.getRun(r.id))!.status] as const)));
      } finally {
        await store.close();
      }
    };
    expect(await states()).toEqual({ [announced.id]: 'abandoned', [longWindow.id]: 'observing', [recent.id]: 'started' });
    const again = await runCli(['sync', '--to', url], { cwd });
    expect(again.stdout).toMatch(/^Synced to .*; 1 runs already up to date\.\n$/);

    // The runner was not gone after all: its own copy, concluded with a verdict, is pushed by its own sync.
    const ownerCwd = tempDir();
    const owner = await openStore(join(ownerCwd, '.seqpulse', 'seqpulse.db'));
    await owner.createRun({ ...announced, status: 'finished', updated_at: ago(2 * day - 60_000), finished_at: ago(2 * day - 60_000) });
    await owner.saveVerdict(verdict(announced.id));
    await owner.close();
    expect((await runCli(['sync', '--to', url], { cwd: ownerCwd })).code).toBe(0);
    expect((await states())[announced.id]).toBe('finished');
    expect(JSON.parse((await runCli(['verdict', announced.id, '--store', url, '--json'], { cwd })).stdout).deployment_id).toBe(announced.id);
  });
});

describe('what sync says it pushed', () => {
  it('counts every verdict of a store of several pages (two pages in flight each wrote back its own sum: 600 verdicts pushed were reported as 350), to SQLite and to Postgres', async () => {
    const cwd = tempDir();
    await storeWithFinishedRuns(join(cwd, '.seqpulse', 'seqpulse.db'), 600);
    for (const target of [join(cwd, 'team.db'), await createTestDatabase()]) {
      const r = await runCli(['sync', '--to', target, '--json'], { cwd });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ pushed: { runs: 600, samples: 1800, verdicts: 600 }, up_to_date: 0 });
      const again = await runCli(['sync', '--to', target, '--json'], { cwd });
      expect(JSON.parse(again.stdout)).toMatchObject({ pushed: { runs: 0, samples: 0, verdicts: 0 }, up_to_date: 600 });
    }
  });
});
