/**
 * The bundled Action (dist/index.js) run as a real process the way the runner does, under Node 24
 * (GitHub's `node24` runtime) and Node 20, against a real local app and a stand-in GitHub API.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MAX_COMMENT_PAGES, PUBLISH_BUDGET_MS } from '../../src/action/github.js';
import { INPUT_NAMES } from '../../src/action/inputs.js';
import { ACTION_INPUTS } from '../../src/config/names.js';
import { openStore } from '../../src/store/open.js';
import { openSqlJsStore } from '../../src/store/sqljs.js';
import { ACTION_ENTRY, runAction, startAction, type ActionOptions } from '../helpers/action.js';
import { closeAfterEach, deployHook, tempDir } from '../helpers/cli.js';
import { ACTIONS_BOT, startFakeGitHub } from '../helpers/github-api.js';
import { node24 } from '../helpers/node24.js';
import { run, verdict } from '../helpers/records.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { DEFAULT_METRICS, startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const track = closeAfterEach();
/** A flag of the CLI (`--secret`, `--window`, `--no-early-exit`), which Action users have no way to give. */
const CLI_FLAG = /(^|[\s(`'"])--[a-z][a-z-]+/m;
let NODE24 = '';

beforeAll(() => {
  NODE24 = node24();
}, 300_000);

/** Fast sampling against a local app; the deploy command is a script in the workspace calling the hook. */
function inputs(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return { endpoints: url, secret: TEST_SECRET, project: 'shop', env: 'staging', 'pre-samples': '3', interval: '100ms', window: '1s', ...extra };
}

/** A finish step's inputs: the same, without PRE's (finish refuses them: start took PRE). */
function finishInputs(url: string, extra: Record<string, string>): Record<string, string> {
  const { 'pre-samples': _pre, ...rest } = inputs(url, { mode: 'finish', ...extra });
  return rest;
}

function deployScript(workspace: string, argv: string[]): string {
  // The hook's argv is [node, -e, script]: the script goes into a file so the command stays one plain line.
  writeFileSync(join(workspace, 'deploy.cjs'), argv[2]!);
  return `'${process.execPath}' deploy.cjs`;
}

/** A step that publishes its verdict (the PR comment and the commit status) to the API at `api`, run for pull request `pr`. */
function publishingStep(app: string, api: string, pr: number): Omit<ActionOptions, 'workspace'> {
  return {
    node: NODE24,
    inputs: inputs(app, { command: `'${process.execPath}' -e 0`, 'github-token': 'ghs_x', 'comment-on-pr': 'true', 'deployment-status': 'true' }),
    env: { GITHUB_API_URL: api },
    event: { pull_request: { number: pr } },
  };
}

/** The runner's own commands as @actions/core writes them: the only ones the step may issue. */
const OWN_COMMANDS = new Set(['add-mask', 'notice', 'warning', 'error']);

/**
 * The workflow commands a runner reads in a step's output (stdout and stderr alike): `::name` at the
 * start of a line (after spaces); in a line that is not such a command, `##[name` anywhere.
 */
function runnerCommands(output: string): string[] {
  return output.split(/\r\n|\r|\n/).flatMap((line) => {
    const command = /^\s*::([^\s:]+)/.exec(line)?.[1];
    return command !== undefined && OWN_COMMANDS.has(command) ? [command] : [...line.matchAll(/##\[([^\]\s;]*)/g)].map((m) => m[1]!).concat(command ?? []);
  });
}

async function storedRuns(workspace: string) {
  const store = await openSqlJsStore(join(workspace, '.seqpulse/seqpulse.db'));
  try {
    const runs = await store.listRuns({});
    return await Promise.all(runs.map(async (r) => ({ run: await store.getRun(r.id), verdict: await store.getVerdict(r.id), samples: await store.getSamples(r.id) })));
  } finally {
    await store.close();
  }
}

describe('the inputs', () => {
  it('the inputs the Action knows (for the unknown-input warning) are those of action.yml, and each setting input names a setting', () => {
    const declared = Object.keys((parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as { inputs: object }).inputs);
    expect([...INPUT_NAMES].sort()).toEqual(declared.sort());
    for (const input of Object.values(ACTION_INPUTS)) expect(declared).toContain(input);
  });
});

describe('the bundle', () => {
  it('loads no native addon: nothing but JavaScript (SQLite in WebAssembly inlined) and licences in dist/', () => {
    expect(readdirSync(join(ACTION_ENTRY, '..')).sort()).toEqual(['index.js', 'licenses.txt', 'package.json', 'sql-wasm.cjs']);
    expect(readFileSync(ACTION_ENTRY, 'utf8')).not.toMatch(/better_sqlite3\.node|better-sqlite3\/build/);
  });
});

describe.each([
  ['Node 24', () => NODE24],
  ['Node 20', () => process.execPath],
])('the Action under %s', (_name, node) => {
  it('healthy deploy: success, outputs set, job summary and report written, run stored', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => undefined));
    const workspace = tempDir('seqpulse-ws-');
    const r = await runAction({ node: node(), workspace, inputs: inputs(app.url, { command: deployScript(workspace, hook.argv()) }) });
    expect(r.stderr).not.toMatch(/internal error|ERR_DLOPEN|\.node/);
    expect(r.code).toBe(0);
    expect(hook.calls).toBe(1);
    expect(r.outputs.verdict).toBe('ok');
    expect(Number(r.outputs.confidence)).toBeGreaterThan(0);
    expect(r.outputs['deployment-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.outputs.summary).toMatch(/\w/);
    const report = JSON.parse(readFileSync(r.outputs['report-json']!, 'utf8'));
    expect(report).toMatchObject({ deployment_id: r.outputs['deployment-id'], verdict: 'ok', project: 'shop', env: 'staging' });
    expect(r.summary).toMatch(/✅ OK · shop\/staging/);
    expect(r.summary).toMatch(/\| `error_rate` \| 0\.01 \| 0\.01 \|/);
    expect(r.stdout).toMatch(/::notice title=seqpulse shop\/staging::ok: /);
    const [stored] = await storedRuns(workspace);
    expect(stored!.run!.status).toBe('finished');
    expect(stored!.verdict!.verdict).toBe('ok');
    expect(stored!.samples.filter((s) => s.ok).length).toBe(app.requests.length);
  });

  it('regression: the step fails with an error annotation; outputs and summary still written', async () => {
    const traffic = { ...DEFAULT_METRICS, requests_per_sec: 2000 };
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: traffic }));
    const hook = track(await deployHook(() => app.setMetrics({ ...traffic, error_rate: 0.09 })));
    const workspace = tempDir('seqpulse-ws-');
    const r = await runAction({ node: node(), workspace, inputs: inputs(app.url, { command: deployScript(workspace, hook.argv()) }) });
    expect(r.code).toBe(1);
    expect(r.outputs.verdict).toBe('rollback_recommended');
    expect(r.stdout).toMatch(/::error title=seqpulse shop\/staging::Rollback recommended: .*%0Aerror_rate changed by \+800%/);
    expect(r.stdout).toMatch(/::error::seqpulse: rollback_recommended: /);
    expect(r.summary).toMatch(/🛑 Rollback recommended/);
    expect(r.summary).toMatch(/\| `error_rate` \| 0\.01 \| 0\.09 \| \+800% \| \+\d+% \| 🔴 regression \|/);
    expect(JSON.parse(readFileSync(r.outputs['report-json']!, 'utf8')).exit_code).toBe(1);
  });

  it('fail-on: never keeps the step green on a rollback, with the verdict in the outputs', async () => {
    const traffic = { ...DEFAULT_METRICS, requests_per_sec: 2000 };
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: traffic }));
    const hook = track(await deployHook(() => app.setMetrics({ ...traffic, error_rate: 0.09 })));
    const workspace = tempDir('seqpulse-ws-');
    const r = await runAction({ node: node(), workspace, inputs: inputs(app.url, { command: deployScript(workspace, hook.argv()), 'fail-on': 'never' }) });
    expect(r.code).toBe(0);
    expect(r.outputs.verdict).toBe('rollback_recommended');
  });
});

describe('the Action (Node 24)', () => {
  it('wrong secret: a clear failure before the deploy, and the secret is nowhere', async () => {
    const app = track(await startTestApp({ secret: 'the-right-one' }));
    const hook = track(await deployHook(() => undefined));
    const workspace = tempDir('seqpulse-ws-');
    const secret = 'wrong-secret-9c1e7d';
    const r = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { secret, command: deployScript(workspace, hook.argv()) }) });
    expect(r.code).toBe(2);
    expect(hook.calls).toBe(0);
    expect(r.stdout).toMatch(/::error::.*rejected the signed request \(HTTP 401\): the secret or the clock is wrong/);
    expect(r.stdout).toMatch(new RegExp(`::add-mask::${secret}`));
    const everything = [r.stdout.replaceAll(`::add-mask::${secret}`, ''), r.stderr, r.summary, JSON.stringify(r.outputs)].join('\n');
    expect(everything).not.toContain(secret);
    if (existsSync(join(workspace, '.seqpulse/seqpulse.db'))) expect(readFileSync(join(workspace, '.seqpulse/seqpulse.db')).includes(secret)).toBe(false);
    // Failed before the deploy, and still said where a workflow looks: outputs and the job summary, in the Action's own terms.
    // The same confidence format as every other output (0.00), not a bare 0.
    expect(r.outputs).toMatchObject({ verdict: 'none', confidence: '0.00' });
    expect(r.outputs.summary).toMatch(/rejected the signed request \(HTTP 401\)/);
    expect(r.summary).toMatch(/^## ❌ seqpulse could not make a verdict · shop\/staging\n/);
    expect(r.summary).toMatch(/\*\*http:\/\/127\.0\.0\.1:\d+\/ds-metrics rejected the signed request \(HTTP 401\): the secret or the clock is wrong\*\*/);
    expect(r.summary).toContain('Check that the secret (input secret or SEQPULSE\\_HMAC\\_SECRET) matches the app');
    expect(r.summary).toContain('exit 2: a usage or configuration error: nothing was deployed');
    expect(everything).not.toMatch(CLI_FLAG);
  });

  it('names its inputs, never the CLI\'s flags; warns about an input it does not have, with "did you mean"', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => undefined));
    const workspace = tempDir('seqpulse-ws-');
    const r = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { command: deployScript(workspace, hook.argv()), window: 'soon', windw: '10m', 'comment-on-pr': 'false' }) });
    expect(r.code).toBe(2);
    expect(hook.calls).toBe(0);
    expect(r.stdout).toMatch(/::warning::input windw is not an input of seqpulse and is ignored \(did you mean window\?\)/);
    expect(r.stdout).toMatch(/::error::invalid configuration:%0A {2}inputs: window: "soon" is not a duration/);
    expect(r.outputs.verdict).toBe('none');
    // The summary output carries the problem, not only the heading over it.
    expect(r.outputs.summary).toBe('invalid configuration: inputs: window: "soon" is not a duration (use e.g. 500ms, 10s, 15m, 1h, 30d, or a number of seconds)');
    expect(r.summary).toMatch(/^## ❌ seqpulse could not make a verdict\n/);
    expect(r.summary).toContain('- inputs: window: "soon" is not a duration');

    const two = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { command: deployScript(workspace, hook.argv()), window: 'soon', interval: 'often' }) });
    expect(two.outputs.summary).toMatch(/^invalid configuration: inputs: \w+: "\w+" is not a duration .*\(and 1 more\)$/);
    const noEndpoint = await runAction({ node: NODE24, workspace, inputs: { ...inputs(app.url, { command: deployScript(workspace, hook.argv()) }), endpoints: '' } });
    expect(noEndpoint.code).toBe(2);
    expect(noEndpoint.stdout).toMatch(/settings: endpoints: no endpoint given \(input endpoints, SEQPULSE_ENDPOINTS or endpoints: in seqpulse\.yml\)/);
    expect(noEndpoint.summary).toContain('endpoints: no endpoint given');
    for (const out of [r, noEndpoint]) expect([out.stdout, out.stderr, out.summary].join('\n')).not.toMatch(CLI_FLAG);
  });

  it('no verdict (the app never answered): the failure line says so in words, confidence 0.00', async () => {
    const hook = track(await deployHook(() => undefined));
    const workspace = tempDir('seqpulse-ws-');
    const r = await runAction({ node: NODE24, workspace, inputs: inputs('http://127.0.0.1:9/ds-metrics', { command: deployScript(workspace, hook.argv()), timeout: '200ms', retries: '0' }) });
    expect(r.code).toBe(3);
    expect(hook.calls).toBe(1);
    expect(r.outputs).toMatchObject({ verdict: 'none', confidence: '0.00' });
    expect(r.outputs.summary).toMatch(/^No verdict/);
    expect(r.stdout).toMatch(/::error::seqpulse: No verdict/);
    expect(r.stdout).not.toMatch(/seqpulse: finished:/);
    // The annotation too: an error in words, not a notice labelled with the run's status.
    expect(r.stdout).toMatch(/::error title=seqpulse shop\/staging::No verdict/);
    expect(r.stdout).not.toMatch(/::notice[^\n]*::finished:/);
  });

  it('an early end of the window names the setting that turns it off in the Action\'s terms', async () => {
    const traffic = { ...DEFAULT_METRICS, requests_per_sec: 2000 };
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: traffic }));
    const hook = track(await deployHook(() => app.setMetrics({ ...traffic, error_rate: 0.6, requests_per_sec: 300 })));
    const workspace = tempDir('seqpulse-ws-');
    const r = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { command: deployScript(workspace, hook.argv()), window: '5s' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ending the window early \(early_exit: false in seqpulse\.yml to always wait\)/);
    expect(r.summary).toMatch(/decided early, after \d+ of 50 POST samples/);
    expect([r.stdout, r.stderr, r.summary].join('\n')).not.toMatch(CLI_FLAG);
  });

  it('cancellation: the runner\'s SIGINT reaches the deploy command; the step fails and the run is stored as interrupted', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    let deployed!: () => void;
    const deploying = new Promise<void>((r) => (deployed = r));
    const hook = track(await deployHook(() => deployed()));
    const workspace = tempDir('seqpulse-ws-');
    const marker = join(workspace, 'deploy-got');
    const action = startAction({ node: NODE24, workspace, inputs: inputs(app.url, { command: deployScript(workspace, hook.argv({ holdUntilSignal: true, marker, exitCode: 1 })) }) });
    await deploying;
    action.child.kill('SIGINT');
    const r = await action.done;
    expect(r.code).toBe(130);
    expect(readFileSync(marker, 'utf8')).toBe('SIGINT');
    expect(r.outputs.verdict).toBe('none');
    const [stored] = await storedRuns(workspace);
    expect(stored!.run!.status).toBe('interrupted');
    expect(app.requests.some((q) => q.phase === 'post')).toBe(false);
  });

  it('a secret of 1 to 3 characters is never handed to the runner to mask (it would blank out that letter in every line): an HMAC secret that short is refused, a short password only masked in its URL', async () => {
    const app = track(await startTestApp({ secret: 'ab' }));
    const hook = track(await deployHook(() => undefined));
    const workspace = tempDir('seqpulse-ws-');
    const masks = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('::add-mask::')).map((line) => line.slice('::add-mask::'.length));
    const short = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { secret: `${TEST_SECRET}\nab`, command: deployScript(workspace, hook.argv()) }) });
    expect(short.code).toBe(2);
    expect(hook.calls).toBe(0);
    expect(app.requests).toHaveLength(0);
    expect(masks(short.stdout)).toEqual([]);
    expect(short.stdout).toMatch(/::error::input secret is too short \(2 characters\): an HMAC secret needs at least 4/);
    expect(short.outputs).toMatchObject({ verdict: 'none', confidence: '0.00' });
    expect(short.summary).toContain('input secret is too short (2 characters)');

    // Through the environment, as the config's secret: refused the same way.
    const fromEnv = await runAction({ node: NODE24, workspace, inputs: { ...inputs(app.url, { command: deployScript(workspace, hook.argv()) }), secret: '' }, env: { SEQPULSE_HMAC_SECRET: 'x' } });
    expect(fromEnv.code).toBe(2);
    expect(masks(fromEnv.stdout)).toEqual([]);
    expect(fromEnv.stdout).toMatch(/::error::the HMAC secret \(SEQPULSE_HMAC_SECRET or secret: in the config file\) is too short \(1 character\)/);
    expect(hook.calls).toBe(0);

    // A store's two-letter password (and its three-letter base64): not masked in the log, masked in the URL.
    const store = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { store: 'postgres://user:pw@127.0.0.1:9/db', command: deployScript(workspace, hook.argv()) }) });
    expect(store.code).toBe(2);
    expect(masks(store.stdout)).toContain(TEST_SECRET);
    for (const value of masks(store.stdout)) expect(value.length).toBeGreaterThanOrEqual(4);
    expect(store.stdout).toMatch(/::error::store postgres:\/\/\*\*\*@127\.0\.0\.1:9\/db cannot be used/);
    expect(store.stdout).not.toContain('user:pw@');
  });

  it('a failure quoting a 100,000-character input is annotated shortened (it was one 120,000-character line)', async () => {
    const workspace = tempDir('seqpulse-ws-');
    const r = await runAction({ node: NODE24, workspace, inputs: finishInputs('http://127.0.0.1:9/ds-metrics', { 'deployment-id': 'a'.repeat(100_000) }) });
    expect(r.code).toBe(2);
    const failure = r.stdout.split('\n').find((line) => line.startsWith('::error::'));
    expect(failure).toMatch(/^::error::.*more characters\)/);
    expect(failure!.length).toBeLessThan(2_500);
  });

  it('the job summary stays under GitHub\'s 1 MiB (in bytes) however many lines the verdict has: 1,200 metrics gone after the deploy, each a 900-character detail line', async () => {
    // Two instances, each reporting half the metrics: one answer holds at most 1 MiB.
    const names = Array.from({ length: 1_200 }, (_, i) => `m${i}_${'x'.repeat(900)}`);
    const half = (k: number) => (_n: number, phase: string | undefined) => Object.fromEntries([['requests_per_sec', 100], ...(phase === 'post' ? [] : names.slice(k * 600, (k + 1) * 600).map((n) => [n, 1]))]);
    const apps = [track(await startTestApp({ secret: TEST_SECRET, metrics: half(0) })), track(await startTestApp({ secret: TEST_SECRET, metrics: half(1) }))];
    const workspace = tempDir('seqpulse-ws-');
    writeFileSync(join(workspace, 'seqpulse.yml'), `metrics:\n${names.map((n) => `  ${n}: { threshold: 10 }`).join('\n')}\n`);
    const given = { ...inputs(apps[0]!.url, { command: `'${process.execPath}' -e 0`, project: 'ショップ' }), endpoints: apps.map((a) => a.url).join('\n'), 'pre-samples': '1', window: '500ms' };
    const r = await runAction({ node: NODE24, workspace, inputs: given });
    expect(r.outputs.verdict).toBe('attention');
    // Over 1 MiB the runner refuses the file and shows no summary at all.
    expect(Buffer.byteLength(r.summary)).toBeLessThanOrEqual(1024 * 1024);
    expect(r.summary).toMatch(/^## ⚠️ Attention · ショップ\/staging\n/);
    const shown = r.summary.split('\n').filter((line) => /^- m\d+\\_x+: no data after the deploy \(1 sample before\)$/.test(line)).length;
    expect(shown).toBeGreaterThan(100);
    expect(r.summary).toContain(`_${1_200 - shown} more details not shown (size limit); the full report is in the JSON report._`);
    // The hints and the metric table after the details, and the footer, are there all the same.
    expect(r.summary).toContain('**`metrics_missing_after_deploy`**');
    expect(r.summary).toMatch(/\| `requests_per_sec` \| 200 \| 200 \|/);
    expect(r.summary).toContain(`deployment \`${r.outputs['deployment-id']}\` · seqpulse</sub>`);
    expect(JSON.parse(readFileSync(r.outputs['report-json']!, 'utf8')).details).toHaveLength(1_200);
  });

  it('start and finish around a separate deploy step share the run through the workspace store', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const workspace = tempDir('seqpulse-ws-');
    const start = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { mode: 'start' }) });
    expect(start.code).toBe(0);
    const id = start.outputs['deployment-id']!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(start.outputs.verdict).toBeUndefined();
    // PRE options given to finish would change nothing: refused, with the fix, before anything is sampled.
    const refused = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { mode: 'finish', 'deployment-id': id }) });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/input pre-samples means nothing with mode: finish/);
    expect(refused.outputs.verdict).toBe('none');
    expect(app.requests.some((q) => q.phase === 'post')).toBe(false);
    const finish = await runAction({ node: NODE24, workspace, inputs: finishInputs(app.url, { 'deployment-id': id }) });
    expect(finish.code).toBe(0);
    expect(finish.outputs).toMatchObject({ verdict: 'ok', 'deployment-id': id });
    const [stored] = await storedRuns(workspace);
    expect(stored!.run!.id).toBe(id);
    expect(new Set(stored!.samples.map((s) => s.phase))).toEqual(new Set(['pre', 'post']));
  });

  it('runs in its store that nobody will conclude (a start never finished, days old) are settled as abandoned, with a warning', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const workspace = tempDir('seqpulse-ws-');
    mkdirSync(join(workspace, '.seqpulse'));
    const stale = run({ project: 'shop', env: 'staging', status: 'started', command: null, created_at: new Date(Date.now() - 3 * 86_400_000).toISOString(), updated_at: new Date(Date.now() - 3 * 86_400_000).toISOString() });
    const seeded = await openSqlJsStore(join(workspace, '.seqpulse/seqpulse.db'));
    await seeded.upsertRuns([stale]);
    await seeded.close();
    const hook = track(await deployHook(() => undefined));
    const r = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { command: deployScript(workspace, hook.argv()) }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`::warning::Run ${stale.id} (shop/staging) was abandoned: still started, with no news of it for 24 hours past its planned end`);
    const runs = await storedRuns(workspace);
    expect(runs.find((x) => x.run!.id === stale.id)!.run!.status).toBe('abandoned');
    expect(runs.find((x) => x.run!.id !== stale.id)!.verdict).toMatchObject({ verdict: 'ok' });
  });

  it('dry-run: the rollback it would give is reported everywhere, and the step does not fail', async () => {
    const traffic = { ...DEFAULT_METRICS, requests_per_sec: 2000 };
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: traffic }));
    const hook = track(await deployHook(() => app.setMetrics({ ...traffic, error_rate: 0.09 })));
    const workspace = tempDir('seqpulse-ws-');
    const r = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { command: deployScript(workspace, hook.argv()), 'dry-run': 'true' }) });
    expect(r.code).toBe(0);
    expect(hook.calls).toBe(1);
    expect(r.outputs.verdict).toBe('rollback_recommended');
    expect(r.stdout).toMatch(/::error title=seqpulse shop\/staging::Rollback recommended \(dry run: the step does not fail; it would exit 1\): /);
    expect(r.stdout).not.toMatch(/::error::seqpulse: /);
    // The heading says it is a dry run, not only the footer.
    expect(r.summary).toMatch(/^## 🛑 Rollback recommended \(dry run: would exit 1, exited 0\) · shop\/staging\n/);
    expect(JSON.parse(readFileSync(r.outputs['report-json']!, 'utf8'))).toMatchObject({ verdict: 'rollback_recommended', exit_code: 0, dry_run: { exit_code: 1 } });
    const [stored] = await storedRuns(workspace);
    expect(stored!.verdict).toMatchObject({ verdict: 'rollback_recommended', dry_run: { exit_code: 1 } });

    const wrong = await runAction({ node: NODE24, workspace: tempDir('seqpulse-ws-'), inputs: inputs(app.url, { command: deployScript(workspace, hook.argv()), 'dry-run': 'maybe' }) });
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toMatch(/::error::input dry-run must be true or false, not "maybe"/);
    expect(wrong.outputs.verdict).toBe('none');
    expect(wrong.summary).toContain('input dry-run must be true or false, not "maybe"');
    expect(hook.calls).toBe(1);
  });

  it('the team store: start and finish in different jobs share the run through Postgres; sync pushes a workspace run there', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const url = await createTestDatabase();
    const password = new URL(url).password;
    const start = await runAction({ node: NODE24, workspace: tempDir('seqpulse-ws-'), inputs: inputs(app.url, { mode: 'start', store: url }) });
    expect(start.code).toBe(0);
    const id = start.outputs['deployment-id']!;
    // Another job: a fresh workspace, nothing shared but the Postgres store.
    const finish = await runAction({ node: NODE24, workspace: tempDir('seqpulse-ws-'), inputs: finishInputs(app.url, { 'deployment-id': id, store: url }) });
    expect(finish.code).toBe(0);
    expect(finish.outputs).toMatchObject({ verdict: 'ok', 'deployment-id': id });

    const hook = track(await deployHook(() => undefined));
    const workspace = tempDir('seqpulse-ws-');
    const synced = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { command: deployScript(workspace, hook.argv()), sync: url }) });
    expect(synced.code).toBe(0);
    const [local] = await storedRuns(workspace);
    const team = await openStore(url);
    try {
      expect((await team.getVerdict(id))?.verdict).toBe('ok');
      expect(new Set((await team.getSamples(id)).map((s) => s.phase))).toEqual(new Set(['pre', 'post']));
      const pushed = synced.outputs['deployment-id']!;
      expect(await team.getSamples(pushed)).toEqual(local!.samples);
      expect(await team.getVerdict(pushed)).toEqual(local!.verdict);
    } finally {
      await team.close();
    }
    for (const r of [start, finish, synced]) {
      // The runner is told to mask the password (::add-mask::); apart from that, it is printed nowhere.
      expect(r.stdout).toContain(`::add-mask::${password}`);
      const shown = `${r.stdout.replaceAll(`::add-mask::${password}`, '')}${r.stderr}${JSON.stringify(r.outputs)}${r.summary}`;
      expect(shown).not.toContain(password);
    }
  });

  it('sync to a team store that holds another verdict for the run (someone wrote one there between start and finish): a warning naming the run, never "Synced"; the step keeps its own verdict, the team store its row', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const workspace = tempDir('seqpulse-ws-');
    const team = join(tempDir(), 'team.db');
    const start = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { mode: 'start', sync: team }) });
    expect(start.code, start.stdout).toBe(0);
    const id = start.outputs['deployment-id']!;
    const store = await openStore(team);
    await store.saveVerdict(verdict(id, { verdict: 'rollback_recommended', exit_code: 1 }));
    await store.close();
    const finish = await runAction({ node: NODE24, workspace, inputs: finishInputs(app.url, { 'deployment-id': id, sync: team }) });
    expect(finish.code, finish.stdout).toBe(0);
    expect(finish.outputs.verdict).toBe('ok');
    expect(finish.stdout).toContain(`::warning::1 local run(s) held in ${team} as other runs under the same ids: ${id} (another verdict)`);
    expect(finish.stdout).not.toMatch(/Synced run/);
    const after = await openStore(team);
    expect((await after.getVerdict(id))?.verdict).toBe('rollback_recommended');
    await after.close();
  });

  it('refuses shell syntax in the command unless shell: true', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const workspace = tempDir('seqpulse-ws-');
    const r = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { command: 'echo deploy && touch pwned' }) });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/::error::input command uses shell syntax \("&&"\)/);
    expect(existsSync(join(workspace, 'pwned'))).toBe(false);
    const shell = await runAction({ node: NODE24, workspace, inputs: inputs(app.url, { command: 'echo deploy && touch done', shell: 'true' }) });
    expect(shell.code).toBe(0);
    expect(existsSync(join(workspace, 'done'))).toBe(true);
  });

  it('a sticky PR comment (created, then updated in place) and a commit status, through GITHUB_API_URL', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const github = track(await startFakeGitHub());
    const workspace = tempDir('seqpulse-ws-');
    const run = () =>
      runAction({
        node: NODE24,
        workspace,
        inputs: inputs(app.url, { command: `'${process.execPath}' -e 0`, 'github-token': 'ghs_fake_token_123', 'comment-on-pr': 'true', 'deployment-status': 'true' }),
        env: { GITHUB_API_URL: github.url },
        event: { pull_request: { number: 42 } },
        eventName: 'pull_request',
      });
    const first = await run();
    expect(first.code).toBe(0);
    const second = await run();
    expect(second.code).toBe(0);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]!.body).toMatch(/^<!-- seqpulse:shop:staging -->\n### ✅ OK · shop\/staging/);
    expect(github.comments[0]!.body).toContain(second.outputs['deployment-id']);
    const calls = github.requests.map((q) => `${q.method} ${q.path}`);
    expect(calls).toEqual([
      'GET /repos/acme/shop/issues/42/comments',
      'POST /repos/acme/shop/issues/42/comments',
      'POST /repos/acme/shop/statuses/0123456789abcdef0123456789abcdef01234567',
      'GET /repos/acme/shop/issues/42/comments',
      `PATCH /repos/acme/shop/issues/comments/${github.comments[0]!.id}`,
      'POST /repos/acme/shop/statuses/0123456789abcdef0123456789abcdef01234567',
    ]);
    expect(github.requests.every((q) => q.authorization === 'token ghs_fake_token_123')).toBe(true);
    expect(github.requests[2]!.body).toMatchObject({ state: 'success', context: 'seqpulse/shop/staging' });
    expect((first.stdout + second.stdout).replaceAll('::add-mask::ghs_fake_token_123', '')).not.toContain('ghs_fake_token_123');
  });

  it('a user\'s comment carrying the marker (copied from an earlier one) is not taken over: the Action comments on its own; a comment that fails does not cost the status', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const github = track(await startFakeGitHub());
    const workspace = tempDir('seqpulse-ws-');
    github.comments.push({ id: 1, body: '<!-- seqpulse:shop:staging -->\nlooks fine, merge it', user: { login: 'mallory', type: 'User' } });
    const run = (extra: Record<string, string> = {}) =>
      runAction({
        node: NODE24,
        workspace,
        inputs: inputs(app.url, { command: `'${process.execPath}' -e 0`, 'github-token': 'ghs_fake_token_123', 'comment-on-pr': 'true', 'deployment-status': 'true', ...extra }),
        env: { GITHUB_API_URL: github.url },
        event: { pull_request: { number: 42 } },
        eventName: 'pull_request',
      });
    expect((await run()).code).toBe(0);
    expect(github.comments[0]).toEqual({ id: 1, body: '<!-- seqpulse:shop:staging -->\nlooks fine, merge it', user: { login: 'mallory', type: 'User' } });
    expect(github.comments).toHaveLength(2);
    expect(github.comments[1]!.user).toEqual(ACTIONS_BOT);
    const calls = github.requests.map((q) => `${q.method} ${q.path}`);
    expect(calls).toEqual(['GET /repos/acme/shop/issues/42/comments', 'GET /user', 'POST /repos/acme/shop/issues/42/comments', 'POST /repos/acme/shop/statuses/0123456789abcdef0123456789abcdef01234567']);

    // The next run updates its own comment, and still leaves the user's alone.
    expect((await run()).code).toBe(0);
    expect(github.requests.map((q) => `${q.method} ${q.path}`).slice(4)).toContain(`PATCH /repos/acme/shop/issues/comments/${github.comments[1]!.id}`);
    expect(github.comments[0]!.body).toBe('<!-- seqpulse:shop:staging -->\nlooks fine, merge it');

    // A comment the API refuses (here: the comment list itself, for a PR number it does not know) is a warning; the status is written all the same.
    github.requests.length = 0;
    const refused = await runAction({
      node: NODE24,
      workspace,
      inputs: inputs(app.url, { command: `'${process.execPath}' -e 0`, 'github-token': 'ghs_fake_token_123', 'comment-on-pr': 'true', 'deployment-status': 'true' }),
      env: { GITHUB_API_URL: github.url },
      event: { pull_request: { number: 'x' } },
      eventName: 'pull_request',
    });
    expect(refused.code).toBe(0);
    expect(refused.stdout).toMatch(/::warning::GitHub comment\/status not written: comment: .*\(done: commit status seqpulse\/shop\/staging success/);
    expect(github.requests.map((q) => `${q.method} ${q.path}`)).toContain('POST /repos/acme/shop/statuses/0123456789abcdef0123456789abcdef01234567');
  });

  it('a deployment event gets a deployment status carrying the verdict', async () => {
    const traffic = { ...DEFAULT_METRICS, requests_per_sec: 2000 };
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: traffic }));
    const hook = track(await deployHook(() => app.setMetrics({ ...traffic, error_rate: 0.09 })));
    const github = track(await startFakeGitHub());
    const workspace = tempDir('seqpulse-ws-');
    const r = await runAction({
      node: NODE24,
      workspace,
      inputs: inputs(app.url, { command: deployScript(workspace, hook.argv()), 'github-token': 'ghs_x', 'deployment-status': 'true' }),
      env: { GITHUB_API_URL: github.url },
      event: { deployment: { id: 7 } },
      eventName: 'deployment',
    });
    expect(r.code).toBe(1);
    expect(github.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['POST /repos/acme/shop/deployments/7/statuses']);
    expect(github.requests[0]!.body).toMatchObject({ state: 'failure', environment: 'staging' });
    expect(String(github.requests[0]!.body!.description)).toMatch(/^rollback_recommended: /);
  });

  it('fail-on: attention makes an attention verdict fail the commit status too, as it fails the step (it was a green status on a red step)', async () => {
    const traffic = { ...DEFAULT_METRICS, requests_per_sec: 2000 };
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: traffic }));
    const github = track(await startFakeGitHub());
    const verify = async (failOn: string) => {
      app.setMetrics(traffic);
      const hook = track(await deployHook(() => app.setMetrics({ ...traffic, error_rate: 0.09 })));
      const workspace = tempDir('seqpulse-ws-');
      // One PRE sample: too few to confirm the rise, so the verdict is attention.
      const given = { ...inputs(app.url, { command: deployScript(workspace, hook.argv()), 'github-token': 'ghs_x', 'deployment-status': 'true', 'fail-on': failOn }), 'pre-samples': '1', window: '400ms' };
      const r = await runAction({ node: NODE24, workspace, inputs: given, env: { GITHUB_API_URL: github.url } });
      const status = github.requests.at(-1)!;
      expect(status.path).toBe('/repos/acme/shop/statuses/0123456789abcdef0123456789abcdef01234567');
      return { r, status: status.body! };
    };
    const strict = await verify('attention');
    expect(strict.r.outputs.verdict).toBe('attention');
    expect(strict.r.code).toBe(1);
    expect(strict.status).toMatchObject({ state: 'failure', context: 'seqpulse/shop/staging' });
    expect(String(strict.status.description)).toMatch(/^attention: /);
    // With the default fail-on the same verdict leaves the step green, and the status with it.
    const lenient = await verify('rollback');
    expect(lenient.r.outputs.verdict).toBe('attention');
    expect(lenient.r.code).toBe(0);
    expect(lenient.status).toMatchObject({ state: 'success' });
  });

  it('text from outside in a line of the log issues no workflow command: a redirect\'s target with ##[add-mask], ids the GitHub API answers with lines of commands', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    // The app's first answer: a redirect whose target the sample line quotes.
    app.queueFault({ kind: 'status', status: 302, location: '/ds-metrics##[add-mask]e' });
    const github = track(await startFakeGitHub({ idSuffix: '\n::warning file=README.md,line=1::forged by the API\n##[stop-commands]x' }));
    const r = await runAction({ ...publishingStep(app.url, github.url, 42), workspace: tempDir('seqpulse-ws-') });
    expect(r.code).toBe(0);
    expect(github.comments).toHaveLength(1);
    // Said, shown escaped, and nothing but seqpulse's own commands in stdout or stderr.
    expect(r.stderr).toContain(`a redirect to ${app.url.replace('/ds-metrics', '')}/ds-metrics##\\u005badd-mask]e, not followed`);
    expect(r.stdout).toContain('commented on #42 (1000\\n::warning file=README.md,line=1::forged by the API\\n##\\u005bstop-commands]x)');
    expect(new Set(runnerCommands(r.stdout + r.stderr))).toEqual(new Set(['add-mask', 'notice']));

    // A JSON log line is valid JSON still, and says the same.
    app.queueFault({ kind: 'status', status: 302, location: '/ds-metrics##[add-mask]e' });
    const json = await runAction({ node: NODE24, workspace: tempDir('seqpulse-ws-'), inputs: inputs(app.url, { command: `'${process.execPath}' -e 0` }), env: { SEQPULSE_LOG_FORMAT: 'json' } });
    expect(json.code).toBe(0);
    expect(new Set(runnerCommands(json.stdout + json.stderr))).toEqual(new Set(['add-mask', 'notice']));
    const events = json.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { message: string });
    expect(events.some((e) => e.message.includes('/ds-metrics##[add-mask]e, not followed'))).toBe(true);
  });

  it('a GitHub API that fails is a warning; the verdict decides the step', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const workspace = tempDir('seqpulse-ws-');
    const r = await runAction({
      node: NODE24,
      workspace,
      inputs: inputs(app.url, { command: `'${process.execPath}' -e 0`, 'github-token': 'ghs_x', 'comment-on-pr': 'true' }),
      env: { GITHUB_API_URL: 'http://127.0.0.1:9' },
      event: { pull_request: { number: 1 } },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/::warning::GitHub comment\/status not written: .*\(the verdict stands\)/);
  });

  it('a GitHub API that never answers, or drips its answer a byte at a time: the step ends within the publishing budget, with a warning, and the verdict decides it', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const apis = [track(await startFakeGitHub({ answer: 'never' })), track(await startFakeGitHub({ answer: 'drip' }))];
    // Both at once: each waits out the whole budget.
    const steps = await Promise.all(
      apis.map(async (api) => {
        const started = Date.now();
        const r = await runAction({ ...publishingStep(app.url, api.url, 1), workspace: tempDir('seqpulse-ws-') });
        return { ...r, ms: Date.now() - started };
      }),
    );
    for (const [i, step] of steps.entries()) {
      expect(step.code).toBe(0);
      expect(step.outputs.verdict).toBe('ok');
      expect(step.stdout).toMatch(/::warning::GitHub comment\/status not written: the GitHub API at http:\/\/127\.0\.0\.1:\d+ did not answer within 30s \(the verdict stands\)/);
      // The run itself (start-up, PRE, a 1 s window) takes a few seconds; then at most the budget.
      expect(step.ms).toBeGreaterThanOrEqual(PUBLISH_BUDGET_MS);
      expect(step.ms).toBeLessThan(PUBLISH_BUDGET_MS + 15_000);
      expect(apis[i]!.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['GET /repos/acme/shop/issues/1/comments']);
    }
  }, 120_000);

  it('a GitHub API that answers without end: a page of comments that never ends fails at 8 MiB, not at the budget with gigabytes read; pages that always have a next one are read 30 deep; the status is written either way', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const flood = track(await startFakeGitHub({ answer: 'flood' }));
    const flooded = await runAction({ ...publishingStep(app.url, flood.url, 1), workspace: tempDir('seqpulse-ws-') });
    expect(flooded.code).toBe(0);
    expect(flooded.outputs.verdict).toBe('ok');
    expect(flooded.stdout).toMatch(/::warning::GitHub comment\/status not written: comment: the answer to \/repos\/acme\/shop\/issues\/1\/comments was larger than 8 MiB \(done: commit status seqpulse\/shop\/staging success on \w+\)/);

    const pages = track(await startFakeGitHub({ answer: 'pages' }));
    const paged = await runAction({ ...publishingStep(app.url, pages.url, 1), workspace: tempDir('seqpulse-ws-') });
    expect(paged.code).toBe(0);
    expect(paged.stdout).not.toMatch(/::warning::GitHub comment/);
    expect(pages.requests.filter((q) => q.method === 'GET' && q.path.endsWith('/comments'))).toHaveLength(MAX_COMMENT_PAGES);
    expect(pages.comments).toHaveLength(1);
  }, 120_000);
});
