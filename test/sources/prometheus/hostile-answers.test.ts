/**
 * A Prometheus API (or whatever answers at its URL) that answers hostile JSON, over real HTTP on
 * loopback: nesting deep enough to overflow the stack of whatever walks it, and explanations of
 * megabytes. Each is a failed or noted metric of bounded size, never a crash, never megabytes
 * stored per sample (a backfill repeats a failed query's reason on every step).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPrometheusSource, type PrometheusOptions } from '../../../src/sources/prometheus/server.js';
import type { CollectRequest } from '../../../src/sources/types.js';
import { startRecordedApi, vector, type Answer } from './recorded-api.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function setup(script: Record<string, Answer[]>, opts: Partial<PrometheusOptions> = {}) {
  const api = await startRecordedApi(script);
  open.push(api);
  const source = createPrometheusSource({ url: api.url, queries: Object.fromEntries(Object.keys(script).map((q, i) => [`m${i}`, q])), timeoutMs: 2_000, retries: 1, userAgent: 'seqpulse/test', ...opts });
  open.unshift(source);
  return { api, source };
}

const tick = (): CollectRequest => ({ phase: 'pre', deploymentId: 'dep-1', deadline: Date.now() + 10_000 });
/** JSON nested `depth` levels deep: parses, and overflows the stack of anything that walks it recursively (String(), JSON.stringify). */
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const TOKEN = 'prom-token-0123456789abcdef';
/** What one stored reason may take, whatever the server sent. */
const BOUND = 4096;

describe('a Prometheus API answering hostile JSON', () => {
  it.each([
    ['the error message', `{"status":"error","errorType":"bad_data","error":${nested(200_000)}}`],
    ['the warnings', `{"status":"success","data":{"resultType":"scalar","result":[1,"1"]},"warnings":[${nested(200_000)}]}`],
    ['the resultType', `{"status":"success","data":{"resultType":${nested(200_000)}}}`],
  ])('nested 200,000 levels deep in %s: a failed metric saying so, retried, never a crash', async (_where, raw) => {
    const { api, source } = await setup({ 'sum(a)': [{ raw }] });
    const [r] = await source.collect(tick());
    expect(r).toMatchObject({ ok: false, attempts: 2, error: 'm0: malformed answer: nested deeper than 64 levels' });
    expect(api.requestsFor('sum(a)')).toHaveLength(2);
  });

  it('an answer that is not UTF-8 (a Latin-1 label value) is a failed metric naming the byte, never read with U+FFFD in its place', async () => {
    const raw = Buffer.concat([Buffer.from('{"status":"success","data":{"resultType":"vector","result":[{"metric":{"route":"/caf'), Buffer.from([0xe9]), Buffer.from('"},"value":[1,"1"]}]}}')]);
    const { source } = await setup({ 'sum(a)': [{ raw }] }, { retries: 0 });
    const [r] = await source.collect(tick());
    expect(r).toMatchObject({ ok: false, error: 'm0: malformed answer: line 1: not UTF-8 text: byte 0xe9 at column 85 (byte offset 84 of the body)' });
  });

  it('an explanation of megabytes (error, errorType, warnings) is stored cut, the token it echoes masked', async () => {
    // Three of them still fit in an answer (8 MiB at most).
    const huge = `${'E'.repeat(2 * 1024 * 1024)} Authorization: Bearer ${TOKEN}`;
    const { source } = await setup(
      {
        'sum(a)': [{ body: { status: 'error', errorType: huge, error: huge } }],
        'sum(b)': [{ body: { ...vector('1'), warnings: [huge, huge], infos: [huge] } }],
        // A 4xx explanation is read up to 16 KiB: that too is cut.
        'sum(c)': [{ status: 422, body: { status: 'error', errorType: 'execution', error: `${TOKEN}${'E'.repeat(15_000)}` } }],
      },
      { token: TOKEN },
    );
    const [r] = await source.collect(tick());
    expect(r).toMatchObject({ ok: true, metrics: { m1: 1 } });
    expect(r!.error!.length).toBeLessThan(BOUND);
    expect(r!.error).toMatch(/^m0: .*more characters.*; m1: warning: .*; m1: warning: .*; m1: info: .*; m2: query rejected \(HTTP 422 execution: \*\*\*E+/);
    expect(r!.error).not.toContain(TOKEN);
  });

  it('a failed range query with an explanation of megabytes: every backfilled step carries it cut', async () => {
    const huge = 'E'.repeat(4 * 1024 * 1024);
    const { source } = await setup({ 'sum(a)': [{ body: { status: 'error', errorType: 'bad_data', error: huge } }] });
    const now = Date.now();
    const steps = await source.backfill({ rangeMs: 600_000, stepMs: 1_000, now, deadline: now + 10_000 });
    expect(steps).toHaveLength(601);
    for (const [r] of steps) {
      expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/^m0: bad_data: E+… \([\d,]+ more characters\)$/) });
      expect(r!.error!.length).toBeLessThan(BOUND);
    }
  });
});
