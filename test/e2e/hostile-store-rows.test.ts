/**
 * Rows of a (shared) store that seqpulse did not write the way it writes them: a verdict that is
 * not JSON or whose numbers are strings, settings without their endpoints, a sample whose metrics
 * are not an object. Every command that reads them says which run and what is wrong (exit 2), with
 * no internal error or stack trace, and leaves the row as it is. The built CLI, a real SQLite store.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { closeAfterEach, fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { asAdmin, createTestDatabase } from '../helpers/postgres.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const track = closeAfterEach();
const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };

const CASES: [string, string, RegExp][] = [
  ['a verdict that is not JSON', "update verdicts set report = 'not json'", /the verdict of run \S+ in a form seqpulse cannot read \(not JSON\)/],
  ['a verdict whose baseline is a string', "update verdicts set report = json_set(report, '$.metrics[0].baseline', 'x')", /the verdict of run \S+ .*\(metrics\.0\.baseline: expected number, received string\)/],
  ['a verdict whose confidence is a string', "update verdicts set report = json_set(report, '$.confidence', 'high')", /the verdict of run .*\(confidence: expected number/],
  ['a verdict without samples', "update verdicts set report = json_set(report, '$.samples', null)", /the verdict of run .*\(samples: expected object/],
  ['a verdict with a number for a detail', "update verdicts set report = json_set(report, '$.details', json('[1]'))", /the verdict of run .*\(details\.0: expected string/],
  // The process keeps the low 8 bits: 256 under a rollback would exit 0 (the pipeline goes on), -1 would exit 255.
  ['a rollback verdict whose exit code is 256', "update verdicts set report = json_set(report, '$.verdict', 'rollback_recommended', '$.exit_code', 256)", /the verdict of run .*\(exit_code: 256 is not an exit code a verdict has \(0, 1, 3, 4, 129, 130, 143\)\)/],
  ['a verdict whose exit code is -1', "update verdicts set report = json_set(report, '$.exit_code', -1)", /the verdict of run .*\(exit_code: -1 is not an exit code a verdict has/],
  ['a verdict whose dry-run exit code is 2.5', "update verdicts set report = json_set(report, '$.dry_run', json('{\"exit_code\": 2.5}'))", /the verdict of run .*\(dry_run\.exit_code: 2\.5 is not an exit code a verdict has/],
  ['a verdict that is a number', "update verdicts set report = '42'", /the verdict of run .*\(\(top level\): expected object/],
  ['settings that are not JSON', "update runs set settings = 'nope'", /the settings of run \S+ in a form seqpulse cannot read \(not JSON\)/],
  ['settings without endpoints', "update runs set settings = '{}'", /the settings of run .*\(endpoints: expected array/],
  ['a sample whose metrics are not JSON', "update samples set metrics = '{bad' where metrics is not null", /a sample of run \S+ in a form seqpulse cannot read \(not JSON\)/],
  // Scalar columns: SQLite keeps whatever a writer gives them. `ok` 'yes' was read as a failed sample, the others printed as they were.
  ['a sample whose ok is text', "update samples set ok = 'yes' where seq = 1", /a sample of run \S+ in a form seqpulse cannot read \(ok: expected 0 or 1, got "yes"\)/],
  ['a sample whose latency is the text NaN', "update samples set latency_ms = 'NaN' where seq = 1", /a sample of run \S+ .*\(latency_ms: expected a finite number or null, got "NaN"\)/],
  ['a sample whose HTTP status is text', "update samples set http_status = 'two hundred' where seq = 1", /a sample of run \S+ .*\(http_status: expected an integer or null, got "two hundred"\)/],
  ['a deploy exit code that is text', "update runs set deploy_exit_code = 'abc'", /the store holds run \S+ in a form seqpulse cannot read \(deploy_exit_code: expected an integer or null, got "abc"\)/],
  ['a run status that is a blob', "update runs set status = x'00ff'", /the store holds run \S+ .*\(status: expected text, got 2 bytes\)/],
];

describe('rows seqpulse cannot read are a clear store error, never a crash', () => {
  // One real run, its store copied for each case.
  let template = '';
  let id = '';
  beforeAll(async () => {
    const app = track(await startTestApp());
    const dir = tempDir();
    expect((await runCli(['run', ...fastFlags(app.url), '--', process.execPath, '-e', ''], { cwd: dir, env })).code).toBe(0);
    id = JSON.parse((await runCli(['history', '--json'], { cwd: dir, env })).stdout)[0].id as string;
    template = join(dir, '.seqpulse', 'seqpulse.db');
  });

  it.each(CASES)('%s: verdict, show, report md/html, analyze <id> exit 2 naming the run and the field; the row is left as it is', async (_what, update, reason) => {
    const dir = tempDir();
    mkdirSync(join(dir, '.seqpulse'));
    const store = join(dir, '.seqpulse', 'seqpulse.db');
    copyFileSync(template, store);
    const db = new BetterSqlite3(store);
    db.prepare(update).run();
    const dump = () => JSON.stringify([db.prepare('select * from runs').all(), db.prepare('select * from verdicts').all(), db.prepare('select * from samples').all()]);
    const before = dump();
    // `verdict` reads the run and its verdict, not its samples.
    const verdict = update.includes('samples') ? [] : [['verdict', id]];
    const commands = [...verdict, ['show', id], ['report', id, '--format', 'md'], ['report', id, '--format', 'html'], ['analyze', id]];
    const results = await Promise.all(commands.map((args) => runCli(args, { cwd: dir, env })));
    results.forEach((r, i) => {
      const args = commands[i]!.join(' ');
      expect(r.stderr, args).not.toMatch(/internal error|\n\s+at /);
      expect(r.code, `${args}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(id);
      expect(r.stderr).toMatch(reason);
      // Said as what it is: not a store that failed, nor one this user may not read.
      expect(r.stderr, args).toMatch(/^seqpulse: the store holds /);
      expect(r.stderr, args).not.toMatch(/needs read access/);
    });
    const json = await runCli(['show', id, '--json'], { cwd: dir, env });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error.code).toBe('store_error');
    expect(dump()).toBe(before);
    db.close();
  });
});

describe('words of a stored verdict seqpulse does not know are text, escaped for each format', () => {
  it('a status "constructor", a severity "toString", markup and a line break in a hint code, a deployment id and a status: no crash, no Object.prototype function shown, no Markdown row or HTML tag injected', async () => {
    const app = track(await startTestApp());
    const dir = tempDir();
    expect((await runCli(['run', ...fastFlags(app.url), '--', process.execPath, '-e', ''], { cwd: dir, env })).code).toBe(0);
    const id = JSON.parse((await runCli(['history', '--json'], { cwd: dir, env })).stdout)[0].id as string;
    const markup = 'x\n| injected | row |\n<img src=x onerror=alert(1)>`**';
    const db = new BetterSqlite3(join(dir, '.seqpulse', 'seqpulse.db'));
    db.prepare("update verdicts set report = json_set(report, '$.metrics[0].status', 'constructor', '$.metrics[1].status', ?, '$.hints', json_array(json_object('code', ?, 'severity', 'toString', 'message', 'm')), '$.deployment_id', ?, '$.result', ?)").run(markup, markup, `${id}\`|${markup}`, markup);
    db.close();
    const results = await Promise.all([['verdict', id], ['show', id], ['report', id, '--format', 'md'], ['report', id, '--format', 'html']].map((args) => runCli(args, { cwd: dir, env })));
    for (const r of results) {
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/function Object|native code/);
    }
    const [, , md, html] = results;
    expect(md!.stdout).not.toMatch(/^\| injected/m);
    // Outside code spans every `<` is escaped (`\<`); inside one (a hint code, as metric names), it is
    // text to GitHub and a code span's backtick cannot be closed early (it becomes '). A code span
    // takes a backslash literally (the line break shows as \n, once), and outside a table a pipe in
    // one is text too.
    expect(md!.stdout.replace(/`[^`\n]*`/g, '')).not.toMatch(/(?<!\\)<img/);
    expect(md!.stdout).toContain(String.raw`**${'`'}x\n| injected | row |\n<img src=x onerror=alert(1)>'**${'`'}** (toString)`);
    expect(html!.stdout).not.toMatch(/<img/);
  });
});

describe('a row seqpulse cannot read fails only what shows or judges that run', () => {
  const flags = (url: string, store: string) => ['run', ...fastFlags(url), '--project', 'shop', '--env', 'prod', '--store', store, '--json', '--', process.execPath, '-e', ''];
  // Someone else's run, made an hour ago, still `started`, its settings not JSON: every command settles
  // such runs on opening the store, and failed on this one (exit 2), `run` before its deploy.
  const foreignRun = (now: string) =>
    `insert into runs (id, project, env, status, settings, created_at, updated_at) values ('aaaaaaaa-0000-4000-8000-000000000000', 'x', 'y', 'started', 'nope', '${now}', '${now}')`;

  it('an unreadable run on its way to a verdict: run deploys and judges, history lists, on SQLite and on Postgres (--store, a whole team blocked)', async () => {
    const app = track(await startTestApp());
    const hour = new Date(Date.now() - 3_600_000).toISOString();
    const dir = tempDir();
    const sqlite = join(dir, 'team.db');
    const postgres = await createTestDatabase();
    for (const store of [sqlite, postgres]) {
      // A first run makes the store, with seqpulse's schema.
      expect((await runCli(flags(app.url, store), { cwd: dir, env })).code).toBe(0);
      if (store === sqlite) new BetterSqlite3(sqlite).prepare(foreignRun(hour)).run();
      else await asAdmin(postgres, [foreignRun(hour)]);
      const r = await runCli(flags(app.url, store), { cwd: dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).verdict).toBe('ok');
      const history = await runCli(['history', '--store', store, '--json'], { cwd: dir });
      expect(history.code, history.stderr).toBe(0);
      expect(JSON.parse(history.stdout).map((h: { id: string }) => h.id)).toContain('aaaaaaaa-0000-4000-8000-000000000000');
      // The run itself still says what is wrong with it.
      const show = await runCli(['show', 'aaaaaaaa', '--store', store], { cwd: dir });
      expect(show.code).toBe(2);
      expect(show.stderr).toMatch(/the settings of run aaaaaaaa-0000-4000-8000-000000000000 in a form seqpulse cannot read \(not JSON\)/);
    }
  });

  it('an earlier ok run of the same project and env with an unreadable sample: the next deploy is judged (it ended without a verdict, exit 3), with a warning naming that run', async () => {
    const app = track(await startTestApp());
    const dir = tempDir();
    const store = join(dir, 'team.db');
    const first = await runCli(flags(app.url, store), { cwd: dir, env });
    const earlier = JSON.parse(first.stdout).deployment_id as string;
    new BetterSqlite3(store).prepare("update samples set metrics = '{bad' where phase = 'post' and seq = 1").run();
    const r = await runCli(flags(app.url, store), { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).verdict).toBe('ok');
    expect(r.stderr).toContain(`warning: Earlier ok run(s) left out of the comparison with this one: the store holds a sample of run ${earlier} in a form seqpulse cannot read (not JSON).`);
    // Judged again, the same.
    const again = await runCli(['analyze', JSON.parse(r.stdout).deployment_id, '--store', store, '--json'], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`left out of the comparison with this one: the store holds a sample of run ${earlier}`);
  });
});

describe('history over a verdict whose confidence is not a number', () => {
  it('text in SQLite, NaN in Postgres: history exits 2 naming the run and the column (it crashed, exit 70, on the text); the next run of that project and env is judged, with a warning', async () => {
    const app = track(await startTestApp());
    const dir = tempDir();
    const sqlite = join(dir, 'team.db');
    const postgres = await createTestDatabase();
    const flags = (store: string) => ['run', ...fastFlags(app.url), '--project', 'shop', '--env', 'prod', '--store', store, '--json', '--', process.execPath, '-e', ''];
    for (const [store, value] of [[sqlite, "'high'"], [postgres, "'NaN'"]] as const) {
      const id = JSON.parse((await runCli(flags(store), { cwd: dir, env })).stdout).deployment_id as string;
      const update = `update verdicts set confidence = ${value}`;
      if (store === sqlite) new BetterSqlite3(sqlite).prepare(update).run();
      else await asAdmin(postgres, [update]);
      for (const args of [['history'], ['history', '--json']]) {
        const r = await runCli([...args, '--store', store], { cwd: dir });
        expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stdout + r.stderr).toMatch(new RegExp(`the store holds run ${id} in a form seqpulse cannot read \\(confidence: expected a finite number or null, got ("high"|NaN)\\)`));
      }
      const next = await runCli(flags(store), { cwd: dir, env });
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toContain(`warning: Earlier ok run(s) left out of the comparison with this one: the store holds run ${id} in a form seqpulse cannot read`);
    }
  });
});
