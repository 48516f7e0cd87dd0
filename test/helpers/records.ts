/** Records for store tests. */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { VerdictReport } from '../../src/core/types.js';
import { openStore } from '../../src/store/open.js';
import type { RunRecord, StoredSample } from '../../src/store/types.js';

export function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: randomUUID(),
    project: 'shop',
    env: 'prod',
    status: 'started',
    settings: { endpoints: ['http://127.0.0.1:1/ds-metrics'], interval_ms: 1000, window_ms: 10_000, pre_samples: 3, timeout_ms: 500 },
    command: ['kubectl', 'apply', '-f', 'k8s/'],
    result: null,
    deploy_exit_code: null,
    deploy_signal: null,
    created_at: '2026-01-18T12:00:00.000Z',
    updated_at: '2026-01-18T12:00:00.000Z',
    deployed_at: null,
    finished_at: null,
    ...overrides,
  };
}

export function sample(runId: string, seq: number, metrics: Record<string, unknown> | null, overrides: Partial<StoredSample> = {}): StoredSample {
  return {
    id: randomUUID(),
    run_id: runId,
    phase: 'pre',
    seq,
    endpoint: 'http://127.0.0.1:1/ds-metrics',
    scheduled_at: `2026-01-18T12:00:0${seq}.000Z`,
    taken_at: `2026-01-18T12:00:0${seq}.050Z`,
    ok: metrics !== null,
    http_status: metrics === null ? 503 : 200,
    error: metrics === null ? 'HTTP 503' : null,
    attempts: 1,
    latency_ms: 12.5,
    metrics,
    ...overrides,
  };
}

export function verdict(runId: string, overrides: Partial<VerdictReport> = {}): VerdictReport {
  return {
    deployment_id: runId,
    project: 'shop',
    env: 'prod',
    verdict: 'ok',
    confidence: 0.93,
    summary: 'No significant regression detected',
    details: [],
    metrics: [],
    hints: [],
    result: 'success',
    deploy_exit_code: 0,
    status: 'finished',
    samples: { pre: 3, post: 10, failed: 0 },
    created_at: '2026-01-18T12:05:00.000Z',
    exit_code: 0,
    ...overrides,
  };
}

/** A SQLite store at `path` holding `count` finished runs, each with three PRE samples and a verdict (written in bulk). */
export async function storeWithFinishedRuns(path: string, count: number): Promise<RunRecord[]> {
  const store = await openStore(path);
  try {
    const runs = Array.from({ length: count }, () => run({ status: 'finished' }));
    await store.upsertRuns(runs);
    await store.addSamples(runs.flatMap((r) => [0, 1, 2].map((seq) => sample(r.id, seq, { a: seq }))));
    await store.saveVerdicts(runs.map((r) => verdict(r.id)));
    return runs;
  } finally {
    await store.close();
  }
}

/** The one run in the default store of a CLI run in `cwd`, and its samples. */
export async function storedRun(cwd: string): Promise<{ run: RunRecord; samples: StoredSample[] }> {
  const store = await openStore(join(cwd, '.seqpulse', 'seqpulse.db'));
  try {
    const [summary] = await store.listRuns({});
    const run = await store.getRun(summary!.id);
    return { run: run!, samples: await store.getSamples(summary!.id) };
  } finally {
    await store.close();
  }
}

/** The samples of the one run in the default store of a CLI run in `cwd`. */
export async function storedSamples(cwd: string): Promise<StoredSample[]> {
  return (await storedRun(cwd)).samples;
}
