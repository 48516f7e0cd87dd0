/**
 * A run does what its settings say: `finish` observes and judges with what `start` stored, the
 * deploy command is where the user meant it to be, and it can be run, all checked on the built CLI
 * as a real process against a real app, before anything is sampled when something is wrong.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { closeAfterEach, runCli, tempDir } from '../helpers/cli.js';
import { DEFAULT_METRICS, startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
const track = closeAfterEach();
const posts = (app: { requests: { phase: string | undefined }[] }) => app.requests.filter((q) => q.phase === 'post').length;

describe('finish uses the settings start stored', () => {
  it('interval, window, settle and rules from start; flags and SEQPULSE_* given to finish override them, and it says which it used', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const startDir = tempDir();
    const store = join(startDir, 'team.db');
    // A stricter latency rule in start's seqpulse.yml: finish runs elsewhere, without that file.
    writeFileSync(join(startDir, 'seqpulse.yml'), 'metrics:\n  latency_p95: { threshold: 10 }\n');
    const start = await runCli(['start', '--endpoint', app.url, '--pre-samples', '3', '--interval', '100ms', '--window', '600ms', '--settle', '100ms', '--persist', '2', '--store', store, '--json'], { cwd: startDir, env });
    expect(start.code, start.stderr).toBe(0);
    const { deployment_id: id } = JSON.parse(start.stdout);

    app.setMetrics({ ...DEFAULT_METRICS, latency_p95: 138 }); // +15 %: past 10 %, under the default 30 %
    const finishDir = tempDir();
    const finish = await runCli(['finish', id, '--store', store, '--json'], { cwd: finishDir, env });
    expect(finish.code, finish.stderr).toBe(0);
    expect(posts(app)).toBe(6);
    const report = JSON.parse(finish.stdout);
    expect(report.metrics.find((m: { name: string }) => m.name === 'latency_p95')).toMatchObject({ threshold_pct: 10, status: 'regression' });
    expect(report.verdict).toBe('attention');
    expect(finish.stderr).toContain(`finish uses the settings \`start\` stored for run ${id}: interval 100ms, window 600ms, timeout 5s, settle 100ms,`);
    expect(finish.stderr).toMatch(/persist 2, .*source ds-metrics, 1 endpoint\(s\), rules as resolved then \(7 metrics\)\./);

    app.clearRequests();
    app.setMetrics(DEFAULT_METRICS);
    const again = await runCli(['start', '--endpoint', app.url, '--pre-samples', '3', '--interval', '100ms', '--window', '600ms', '--store', store, '--json'], { cwd: startDir, env });
    const second = JSON.parse(again.stdout).deployment_id;
    const overridden = await runCli(['finish', second, '--store', store, '--window', '1s', '--quiet'], { cwd: finishDir, env: { ...env, SEQPULSE_INTERVAL: '200ms' } });
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(posts(app)).toBe(5);
    expect(overridden.stderr).toMatch(/given to finish \(flags or SEQPULSE_\*\): interval 200ms, window 1s\./);
  });

  it('the source and its queries are stored too: finish of a command-source run needs no --source again, given the secret start had', async () => {
    const cwd = tempDir();
    const script = join(cwd, 'metrics.js');
    writeFileSync(script, `console.log(JSON.stringify({ metrics: ${JSON.stringify(DEFAULT_METRICS)} }));`);
    // Any secret both jobs have authenticates the stored settings (the command source needs none of its own).
    const start = await runCli(['start', '--source', 'command', '--source-command', `${process.execPath} ${script}`, '--pre-samples', '3', '--interval', '100ms', '--window', '500ms', '--timeout', '2s', '--json'], { cwd, env });
    expect(start.code, start.stderr).toBe(0);
    const id = JSON.parse(start.stdout).deployment_id;
    const finish = await runCli(['finish', id, '--json'], { cwd, env });
    expect(finish.code, finish.stderr).toBe(0);
    expect(JSON.parse(finish.stdout).samples.post).toBe(5);
    expect(finish.stderr).toMatch(/finish uses the settings `start` stored .*source command/);
  });

  it('a run stored by an older seqpulse (none of these settings, no MAC) still finishes, with its timing and this command\'s config, and says so', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const start = await runCli(['start', '--endpoint', app.url, '--pre-samples', '3', '--interval', '100ms', '--window', '600ms', '--json'], { cwd, env });
    const id = JSON.parse(start.stdout).deployment_id;
    const db = new BetterSqlite3(join(cwd, '.seqpulse/seqpulse.db'));
    const old = { endpoints: [app.url], source: 'ds-metrics', interval_ms: 100, window_ms: 600, pre_samples: 3, timeout_ms: 5000, settle_ms: null };
    db.prepare('update runs set settings = ? where id = ?').run(JSON.stringify(old), id);
    db.close();
    // Unauthenticated: the endpoints are this command's to give.
    const bare = await runCli(['finish', id, '--quiet'], { cwd, env });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/endpoints: no endpoint given/);
    expect(bare.stderr).toContain(`The settings \`start\` stored for run ${id} (source ds-metrics) were not used: they carry no authentication (stored by a seqpulse older than this check`);
    const finish = await runCli(['finish', id, '--endpoint', app.url, '--persist', '2', '--quiet'], { cwd, env });
    expect(finish.code, finish.stderr).toBe(0);
    expect(posts(app)).toBe(6);
    expect(finish.stderr).toMatch(/from them it takes only the timing: interval 100ms, window 600ms, settle default; the rest comes from this command's own config \(flags, SEQPULSE_\*, seqpulse\.yml\), not from the store: timeout 5s, source ds-metrics, rules \(7 metrics\); given to finish \(flags or SEQPULSE_\*\): persist 2, 1 endpoint\(s\)\./);
  });
});

describe('the deploy command goes after --', () => {
  it('an option after the command without -- is refused before anything runs (exit 2), with the fix', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const deployed = join(cwd, 'deployed');
    writeFileSync(join(cwd, 'deploy.sh'), `#!/bin/sh\ntouch ${deployed}\n`);
    chmodSync(join(cwd, 'deploy.sh'), 0o755);
    const r = await runCli(['run', '--endpoint', app.url, './deploy.sh', '--env', 'prod'], { cwd, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/seqpulse: --env comes after the deploy command's first word \(\.\/deploy\.sh\) without --/);
    expect(r.stderr).toMatch(/Put the deploy command after --: seqpulse run \[seqpulse options\] -- <command>/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(app.requests).toHaveLength(0);
    expect(existsSync(deployed)).toBe(false);
    expect(existsSync(join(cwd, '.seqpulse'))).toBe(false);
  });

  it('a duration in two words (--window 5 minutes ./deploy.sh) is refused, not run as the command "minutes"', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    for (const args of [['--window', '5', 'minutes', './deploy.sh'], ['--window', '5', 'minutes', '--', './deploy.sh']]) {
      const r = await runCli(['run', '--endpoint', app.url, ...args], { cwd, env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('seqpulse: "--window 5 minutes": a duration is one word, so "minutes" would be run as the deploy command');
      expect(r.stderr).toContain('Write --window 5m (a bare number is seconds)');
    }
    expect(app.requests).toHaveLength(0);
  });

  it('after --, every word is the command\'s: its own options reach it, and seqpulse\'s settings are unchanged', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const argsFile = join(cwd, 'args.txt');
    writeFileSync(join(cwd, 'deploy.sh'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${argsFile}\n`);
    chmodSync(join(cwd, 'deploy.sh'), 0o755);
    const r = await runCli(['run', '--endpoint', app.url, '--pre-samples', '2', '--interval', '100ms', '--window', '300ms', '--json', '--', './deploy.sh', '--env', 'prod', '--window', '5'], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(argsFile, 'utf8').trim().split('\n')).toEqual(['--env', 'prod', '--window', '5']);
    expect(JSON.parse(r.stdout).env).toBe('default');
    expect(posts(app)).toBe(3);
  });
});

describe('the deploy executable is checked before PRE sampling', () => {
  it('missing, not executable, a directory, shell syntax, a missing interpreter, CRLF: exit 2 naming it, nothing sampled, nothing stored', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    writeFileSync(join(cwd, 'deploy.sh'), '#!/bin/sh\necho deployed\n');
    mkdirSync(join(cwd, 'k8s'));
    writeFileSync(join(cwd, 'interp.sh'), '#!/usr/bin/nonexistent-interp\necho deployed\n');
    writeFileSync(join(cwd, 'crlf.sh'), '#!/bin/sh\r\necho deployed\r\n');
    for (const script of ['interp.sh', 'crlf.sh']) chmodSync(join(cwd, script), 0o755);
    const cases: [string[], RegExp, RegExp][] = [
      [['./nope.sh'], /deploy command "\.\/nope\.sh" does not exist/, /Check the path/],
      [['./deploy.sh'], /deploy command "\.\/deploy\.sh" is not executable/, /chmod \+x \.\/deploy\.sh/],
      [['./k8s'], /deploy command "\.\/k8s" is a directory/, /inside it/],
      [['kubectl-not-installed-xyz', 'apply'], /deploy command "kubectl-not-installed-xyz" was not found on PATH/, /give its path/],
      [['./deploy.sh && ./notify.sh'], /deploy command "\.\/deploy\.sh && \.\/notify\.sh" does not exist/, /shell syntax \(`&&`\).*add --shell/],
      [['deploy-tool-xyz | tee log'], /was not found on PATH/, /shell syntax \(`\|`\).*add --shell/],
      [['./interp.sh'], /deploy command "\.\/interp\.sh" needs the interpreter "\/usr\/bin\/nonexistent-interp" \(its #! line\), which does not exist/, /change the first line/],
      [['./crlf.sh'], /deploy command "\.\/crlf\.sh" has Windows line endings \(CRLF\)/, /dos2unix/],
    ];
    for (const [command, message, hint] of cases) {
      const r = await runCli(['run', '--endpoint', app.url, '--', ...command], { cwd, env });
      expect(r.code, command.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(hint);
      expect(r.stderr).toContain('nothing was sampled or deployed');
    }
    // Through the shell, the line's first program is what is checked.
    const shell = await runCli(['run', '--endpoint', app.url, '--shell', '--', 'deploy-tool-xyz --all && echo done'], { cwd, env });
    expect(shell.code).toBe(2);
    expect(shell.stderr).toMatch(/deploy command "deploy-tool-xyz" was not found on PATH/);
    expect(app.requests).toHaveLength(0);
    expect(existsSync(join(cwd, '.seqpulse'))).toBe(false);

    // Made executable, the same script runs.
    chmodSync(join(cwd, 'deploy.sh'), 0o755);
    const ok = await runCli(['run', '--endpoint', app.url, '--pre-samples', '2', '--interval', '100ms', '--window', '300ms', '--quiet', '--', './deploy.sh'], { cwd, env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('deployed');
  });
});
