/**
 * The Action with a deploy that breaks the app, a deploy command that cannot run, and a finish that
 * follows start's settings: the bundled dist/index.js as the runner runs it, under Node 24.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../helpers/action.js';
import { closeAfterEach, deployHook, tempDir } from '../helpers/cli.js';
import { node24 } from '../helpers/node24.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const track = closeAfterEach();
let NODE24 = '';

beforeAll(() => {
  NODE24 = node24();
}, 300_000);

const sampling = (url: string) => ({ endpoints: url, secret: TEST_SECRET, project: 'shop', env: 'staging', 'pre-samples': '12', interval: '100ms', window: '3s' });

describe('the Action (Node 24)', () => {
  it('an endpoint that fails after the deploy: rollback, with the counts in the error annotation, the job summary, the outputs and the report', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => app.setMode({ kind: 'status', status: 500 })));
    const workspace = tempDir('seqpulse-ws-');
    writeFileSync(join(workspace, 'deploy.cjs'), hook.argv()[2]!);
    const r = await runAction({ node: NODE24, workspace, inputs: { ...sampling(app.url), command: `'${process.execPath}' deploy.cjs` } });
    expect(r.code, r.stdout).toBe(1);
    const reason = `${app.url} failed 17 of 17 POST requests (HTTP 500: 17) after answering all 12 PRE requests`;
    expect(r.outputs.verdict).toBe('rollback_recommended');
    expect(r.outputs.summary).toContain(reason);
    expect(r.stdout).toMatch(/::error title=seqpulse shop\/staging::Rollback recommended: Endpoint failing after the deploy: /);
    expect(r.stdout).toContain(reason);
    expect(r.summary).toContain(reason);
    expect(r.summary).toContain('endpoint_failing');
    const report = JSON.parse(readFileSync(r.outputs['report-json']!, 'utf8'));
    expect(report.failing_endpoints).toEqual([expect.objectContaining({ endpoint: app.url, post: { failed: 17, requests: 17 } })]);
  });

  it('a deploy command that cannot run fails the step before any PRE request (exit 2, naming it); a CLI-style leading -- is refused', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const workspace = tempDir('seqpulse-ws-');
    const missing = await runAction({ node: NODE24, workspace, inputs: { ...sampling(app.url), command: 'kubectl-not-installed-xyz apply -f k8s/' } });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toMatch(/::error::deploy command "kubectl-not-installed-xyz" was not found on PATH; nothing was sampled or deployed/);
    const dashes = await runAction({ node: NODE24, workspace, inputs: { ...sampling(app.url), command: '-- ./deploy.sh' } });
    expect(dashes.code).toBe(2);
    expect(dashes.stdout).toMatch(/::error::input command starts with --/);
    // An empty first word is said in the Action's terms (it was the CLI's "put the deploy command after --").
    const empty = await runAction({ node: NODE24, workspace, inputs: { ...sampling(app.url), command: "'' deploy.sh" } });
    expect(empty.code).toBe(2);
    expect(empty.stdout).toMatch(/::error::input command starts with an empty word/);
    expect(empty.stdout).not.toMatch(/seqpulse run --/);
    expect(app.requests).toHaveLength(0);
  });

  it('finish follows the settings start stored, and says so: a finish step without endpoints samples the stored endpoint and gets a verdict', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const workspace = tempDir('seqpulse-ws-');
    const start = await runAction({ node: NODE24, workspace, inputs: { ...sampling(app.url), 'pre-samples': '3', window: '500ms', mode: 'start' } });
    expect(start.code, start.stdout).toBe(0);
    const id = start.outputs['deployment-id']!;
    const finish = await runAction({ node: NODE24, workspace, inputs: { secret: TEST_SECRET, mode: 'finish', 'deployment-id': id } });
    expect(finish.code, finish.stdout).toBe(0);
    expect(finish.outputs.verdict).toBe('ok');
    expect(app.requests.filter((q) => q.phase === 'post')).toHaveLength(5);
    expect(finish.stdout).toMatch(new RegExp(`finish uses the settings \`start\` stored for run ${id}: interval 100ms, window 500ms, .*1 endpoint\\(s\\)`));
  });
});
