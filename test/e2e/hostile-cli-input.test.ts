/**
 * Hostile command lines and config files, through the built CLI: every one is a usage or
 * configuration error (exit 2) that names the file, key or flag, shows what came from outside
 * escaped, and never an internal error or a stack trace. Real processes, real files.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { runCli, tempDir } from '../helpers/cli.js';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const CRASH = /internal error|\n\s+at /;

describe('command-line errors quote what was typed, escaped', () => {
  it('a bad choice and an unknown option carrying escapes and a bidi override: exit 2, shown escaped on stderr; with --json, one JSON error on stdout', async () => {
    const dir = tempDir();
    const hostile = '\x1b[2J\x1b]0;pwned\x07\u202eevil';
    const choice = await runCli(['run', '--fail-on', hostile, '--', 'true'], { cwd: dir });
    expect(choice.code).toBe(2);
    expect(choice.stderr).not.toMatch(RAW_CONTROL);
    expect(choice.stderr).toContain("seqpulse: option '--fail-on <level>' argument '\\u001b[2J\\u001b]0;pwned\\u0007\\u202eevil' is invalid");
    const unknown = await runCli(['history', `--bogus${hostile}`], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).not.toMatch(RAW_CONTROL);
    expect(unknown.stderr).toMatch(/^seqpulse: unknown option '--bogus\\u001b\[2J/);

    const json = await runCli(['run', '--json', '--fail-on', hostile, '--', 'true'], { cwd: dir });
    expect(json.code).toBe(2);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    const error = (JSON.parse(json.stdout) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('usage_error');
    // The text survives whole, as JSON escapes.
    expect(error.message).toContain(`argument '${hostile}' is invalid`);
  });
});

describe('a URL with credentials in the wrong place', () => {
  it('a postgres:// URL given to a flag that takes a choice (--source instead of --sql-url) is quoted back with its password masked, on stderr and in --json', async () => {
    const dir = tempDir();
    const r = await runCli(['doctor', '--source', 'postgres://ci:pw-QRS123@db.internal/app'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("option '--source <type>' argument 'postgres://***@db.internal/app' is invalid");
    expect(r.stderr).not.toContain('pw-QRS123');
    const json = await runCli(['history', '--json', '--verdict', 'https://u:pw-QRS123@h/x'], { cwd: dir });
    expect(json.code).toBe(2);
    expect(json.stdout + json.stderr).not.toContain('pw-QRS123');
    expect(JSON.parse(json.stdout).error.message).toContain("'https://***@h/x'");
    const limit = await runCli(['history', '--limit', 'https://u:pw-QRS123@h/x'], { cwd: dir });
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('--limit must be a whole number from 1 to 100000, not "https://***@h/x"');
  });
});

describe('history --limit', () => {
  it('is read as the number flags are: past 2^63, in exponent notation, zero or a fraction -> exit 2 naming --limit, never a store failure', async () => {
    const dir = tempDir();
    // A real store, so a limit that got through would reach SQLite's LIMIT (which took 2^63 as a float: "datatype mismatch").
    await (await openSqliteStore(join(dir, 'runs.db'))).close();
    for (const value of ['9223372036854775807', '1e3', '0', '2.5', '100001']) {
      const r = await runCli(['history', '--store', 'runs.db', '--limit', value], { cwd: dir });
      expect(r.code, value).toBe(2);
      expect(r.stderr).toContain(`seqpulse: --limit must be a whole number from 1 to 100000, not "${value}"`);
      expect(r.stderr).not.toMatch(/store|datatype/);
      expect(r.stderr).not.toMatch(CRASH);
    }
    const ok = await runCli(['history', '--store', 'runs.db', '--limit', '100000'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
  });
});

describe('a flag missing its value', () => {
  it('--secret, --project, --pre-range right before `--` do not take the `--` as their value: exit 2 naming each flag, nothing deployed', async () => {
    const dir = tempDir();
    const marker = join(dir, 'DEPLOYED');
    for (const flag of ['--secret', '--project', '--pre-range']) {
      const r = await runCli(['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--secret', 's3cret', flag, '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`], { cwd: dir });
      expect(r.stderr).not.toMatch(CRASH);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`flags: ${flag}: has no value: the "--" after it (which starts the deploy command) was taken as its value`);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('--secret right before another option takes it as its value: the words then quoted back (with the real --secret among them) show the secret masked', async () => {
    const r = await runCli(['run', '--secret', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--secret', 's3cret-QWERTY', '--', 'true'], { cwd: tempDir() });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('"http://127.0.0.1:9/ds-metrics --secret ***" comes before --');
    expect(r.stderr).not.toContain('s3cret-QWERTY');
  });
});

describe('sample files', () => {
  it('JSON Lines saved with a byte order mark and CRLF line ends read like the same file without them', async () => {
    const dir = tempDir();
    const line = JSON.stringify({ metrics: { error_rate: 0.01, latency_p95: 100, requests_per_sec: 100 } });
    writeFileSync(join(dir, 'pre.jsonl'), `\uFEFF${line}\r\n${line}\r\n${line}\r\n`);
    writeFileSync(join(dir, 'post.jsonl'), `${line}\n${line}\n${line}\n`);
    const r = await runCli(['analyze', '--pre', 'pre.jsonl', '--post', 'post.jsonl', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).samples).toMatchObject({ pre: 3, post: 3 });
  });

  it('a device or pipe that never ends (/dev/zero) is refused once past the size cap, not read until memory runs out; a directory says it is one', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ metrics: { error_rate: 0.01 } }));
    const endless = await runCli(['analyze', '--pre', '/dev/zero', '--post', 'ok.json'], { cwd: dir });
    expect(endless.stderr).not.toMatch(CRASH);
    expect(endless.code, endless.stderr).toBe(2);
    expect(endless.stderr).toContain('seqpulse: /dev/zero: larger than 64 MiB: not a sample file');
    expect(endless.stderr).not.toMatch(/RangeError|Invalid string length/);
    const folder = await runCli(['analyze', '--pre', 'ok.json', '--post', '.'], { cwd: dir });
    expect(folder.code, folder.stderr).toBe(2);
    expect(folder.stderr).toContain('seqpulse: .: is a directory, not a sample file');
  });

  it('a file that is not UTF-8 (Latin-1 café in a text value) is refused with its line, column and byte offset, from a file or stdin, not read with U+FFFD in its place', async () => {
    const dir = tempDir();
    const line = (note: string) => JSON.stringify({ metrics: { error_rate: 0.01, latency_p95: 100, note } });
    writeFileSync(join(dir, 'pre.jsonl'), `${line('ok')}\n${line('ok')}\n`);
    // A real U+FFFD (written as UTF-8) before the bad byte is text like any other.
    const latin1 = Buffer.concat([Buffer.from(`${line('ok')}\n${line('\ufffd').slice(0, -3)} caf`), Buffer.from([0xe9]), Buffer.from('"}}\n')]);
    writeFileSync(join(dir, 'post.jsonl'), latin1);
    const where = 'post.jsonl:2: not UTF-8 text: byte 0xe9 at column 62 (byte offset 125 of the file)';
    expect(latin1.indexOf(0xe9)).toBe(125);
    const r = await runCli(['analyze', '--pre', 'pre.jsonl', '--post', 'post.jsonl'], { cwd: dir });
    // It used to be read, the value 'caf\ufffd', and judged: exit 0.
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`seqpulse: ${where}\n  Save the sample file as UTF-8`);
    const piped = await runCli(['analyze', '--pre', 'pre.jsonl', '--post', '-', '--json'], { cwd: dir, prefix: ['sh', '-c', 'exec "$0" "$@" < post.jsonl'] });
    expect(piped.code).toBe(2);
    expect(JSON.parse(piped.stdout).error).toMatchObject({ code: 'usage_error', message: where.replace('post.jsonl', 'stdin') });
    // The same file in UTF-8 is read.
    writeFileSync(join(dir, 'post.jsonl'), `${line('ok')}\n${line('\ufffd café')}\n`);
    const fine = await runCli(['analyze', '--pre', 'pre.jsonl', '--post', 'post.jsonl', '--json'], { cwd: dir });
    expect(fine.code, fine.stderr).toBe(0);
  });
});

describe('samples from standard input', () => {
  it('--pre - reads PRE from a pipe; errors name stdin; both - at once is a usage error', async () => {
    const dir = tempDir();
    const steady = { error_rate: 0.01, latency_p95: 100, requests_per_sec: 100 };
    writeFileSync(join(dir, 'pre.jsonl'), [0, 1, 2].map(() => JSON.stringify({ metrics: steady })).join('\n'));
    writeFileSync(join(dir, 'post.json'), JSON.stringify([0, 1, 2].map(() => ({ metrics: { ...steady, latency_p95: 400 } }))));
    const piped = await runCli(['analyze', '--pre', '-', '--post', 'post.json', '--json'], { cwd: dir, prefix: ['sh', '-c', 'cat pre.jsonl | exec "$0" "$@"'] });
    expect(piped.code, piped.stderr).toBe(0);
    const report = JSON.parse(piped.stdout) as { verdict: string; metrics: { name: string; baseline: number }[] };
    expect(report.verdict).toBe('attention');
    expect(report.metrics.find((m) => m.name === 'latency_p95')!.baseline).toBe(100);
    const bad = await runCli(['analyze', '--pre', 'pre.jsonl', '--post', '-'], { cwd: dir, prefix: ['sh', '-c', 'echo "{nope" | exec "$0" "$@"'] });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^seqpulse: stdin: not valid JSON/);
    const both = await runCli(['analyze', '--pre', '-', '--post', '-'], { cwd: dir, prefix: ['sh', '-c', 'exec "$0" "$@" < pre.jsonl'] });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--pre and --post cannot both be -');
  });
});

describe('sample timestamps', () => {
  it('"1", "2", "3" (which Date.parse reads as the years 2001 to 2003, a year between samples) and "March 7" are refused naming the item; ISO 8601 is read', async () => {
    const dir = tempDir();
    const metrics = { error_rate: 0.01, latency_p95: 100, requests_per_sec: 100 };
    writeFileSync(join(dir, 'ok.json'), JSON.stringify([0, 1, 2].map((i) => ({ timestamp: `2026-01-18T12:0${i}:00Z`, metrics }))));
    const refused = [
      [['1', '2', '3'], 0],
      [['2026-01-18T12:00:00Z', 'March 7', '2026-01-18T12:02:00+01:00'], 1],
      // Date.parse reads it as March 2.
      [['2026-01-18T12:00:00Z', '2026-01-18T12:01:00Z', '2026-02-30T12:02:00Z'], 2],
    ] as const;
    for (const [stamps, item] of refused) {
      writeFileSync(join(dir, 'pre.json'), JSON.stringify(stamps.map((timestamp) => ({ timestamp, metrics }))));
      const r = await runCli(['analyze', '--pre', 'pre.json', '--post', 'ok.json'], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`pre.json: item ${item}: "timestamp" must be an ISO 8601 date string`);
    }
    expect((await runCli(['analyze', '--pre', 'ok.json', '--post', 'ok.json'], { cwd: dir })).code).toBe(0);
  });

  it("ISO 8601's basic form, a decimal comma and a zone of hours alone are read (Date.parse reads none of them)", async () => {
    const dir = tempDir();
    const metrics = { error_rate: 0.01, latency_p95: 100, requests_per_sec: 100 };
    // Three samples a minute apart, each written differently (test/sources/sample-file.test.ts: the instants).
    const stamps = ['20260118T120000Z', '2026-01-18T13:01:00,0+01', '20260118T110200-0100'];
    writeFileSync(join(dir, 'pre.json'), JSON.stringify(stamps.map((timestamp) => ({ timestamp, metrics }))));
    const r = await runCli(['analyze', '--pre', 'pre.json', '--post', 'pre.json', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { verdict: string }).verdict).toBe('ok');
  });
});

describe('hostile seqpulse.yml', () => {
  async function withConfig(text: string) {
    const dir = tempDir();
    writeFileSync(join(dir, 'seqpulse.yml'), text);
    writeFileSync(join(dir, 'pre.json'), JSON.stringify({ metrics: { error_rate: 0.01 } }));
    const r = await runCli(['analyze', '--pre', 'pre.json', '--post', 'pre.json'], { cwd: dir });
    expect(r.stderr).not.toMatch(CRASH);
    expect(r.code, r.stderr).toBe(2);
    return r;
  }

  it('an alias bomb ("billion laughs") is a configuration error naming the file, not an internal error', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++) levels.push(`l${i}: &l${i} [${Array(9).fill(i === 1 ? '*a' : `*l${i - 1}`).join(',')}]`);
    const r = await withConfig(`${levels.join('\n')}\nproject: *l7\n`);
    expect(r.stderr).toMatch(/^seqpulse: invalid configuration:\n {2}\S*seqpulse\.yml: \(yaml\): excessive alias count/);
    expect(r.stderr).toContain('anchors and aliases');
  });

  it('--config /dev/zero (a device that never ends) is refused past the size cap, not read until memory runs out', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'pre.json'), JSON.stringify({ metrics: { error_rate: 0.01 } }));
    const r = await runCli(['analyze', '--pre', 'pre.json', '--post', 'pre.json', '--config', '/dev/zero'], { cwd: dir });
    expect(r.stderr).not.toMatch(CRASH);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('/dev/zero: (file): larger than 4 MiB: not a seqpulse config file');
    expect(r.stderr).not.toMatch(/RangeError|Invalid string length/);
  });

  it('YAML 1.1 tags (!!binary, !!set, !!timestamp) are refused with their line, not read as a Buffer\'s keys or a Set', async () => {
    const binary = await withConfig('!!binary aGVsbG8gd29ybGQ=\n');
    expect(binary.stderr).toMatch(/seqpulse\.yml:1: \(yaml\): unresolved tag: tag:yaml\.org,2002:binary/);
    expect(binary.stderr).not.toMatch(/readBigUInt64LE|: 0: unknown key/);
    const set = await withConfig('project: x\nenv: !!set {a, b}\n');
    expect(set.stderr).toMatch(/seqpulse\.yml:2: \(yaml\): unresolved tag: tag:yaml\.org,2002:set/);
    const date = await withConfig('project: !!timestamp 2001-12-14\n');
    expect(date.stderr).toMatch(/seqpulse\.yml:1: \(yaml\): unresolved tag/);
  });

  it('an interval or timeout of 0 names the line, flag or variable that set it; a metric name that is not one says why', async () => {
    const file = await withConfig('project: x\ntimeout: 0\ninterval: 0s\nmetrics:\n  "bad name\\e[2J": { threshold: 5 }\n');
    expect(file.stderr).toMatch(/seqpulse\.yml:2: timeout: must be more than 0/);
    expect(file.stderr).toMatch(/seqpulse\.yml:3: interval: 0ms is too short: must be at least 10ms/);
    expect(file.stderr).toMatch(/seqpulse\.yml:5: metrics\.bad name\\x1b\[2J: not a valid name: metric names are letters, digits, _ \. : -/);
    expect(file.stderr).not.toMatch(/settings: |invalid key in record/);
    const dir = tempDir();
    const flags = await runCli(['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--secret', 's3cret', '--interval', '0', '--', 'true'], { cwd: dir, env: { SEQPULSE_STORE_TIMEOUT: '0ms' } });
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('flags: --interval: 0ms is too short: must be at least 10ms');
    expect(flags.stderr).toContain('environment: SEQPULSE_STORE_TIMEOUT: must be more than 0');
  });

  it('a wait past what a timer can hold (--timeout 25d: Node set it to 1 ms, every request timed out at once and warned on stderr) is refused naming the flag, variable or line', async () => {
    const file = await withConfig('interval: 30d\nsettle: 999999999999h\n');
    expect(file.stderr).toMatch(/seqpulse\.yml:1: interval: must be at most 24h/);
    expect(file.stderr).toMatch(/seqpulse\.yml:2: settle: must be at most 24h/);
    const r = await runCli(['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--secret', 's3cret', '--timeout', '25d', '--', 'true'], { cwd: tempDir(), env: { SEQPULSE_KILL_GRACE: '999999999999h', SEQPULSE_STORE_TIMEOUT: '30d' } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('flags: --timeout: must be at most 24h');
    expect(r.stderr).toContain('environment: SEQPULSE_KILL_GRACE: must be at most 24h');
    expect(r.stderr).toContain('environment: SEQPULSE_STORE_TIMEOUT: must be at most 24h');
    expect(r.stderr).not.toMatch(/TimeoutOverflowWarning/);
  });

  it('${NAME} in seqpulse.yml is not expanded: said, with the variable to set instead, never quoting a secret', async () => {
    const r = await withConfig('secret: "pw-${HMAC}-9"\nproject: ${{ github.repository }}\nendpoints: ["${APP_URL}/ds-metrics"]\nqueries:\n  up: "up{job=\\"${job}\\"}"\n');
    expect(r.stderr).toMatch(/seqpulse\.yml:1: secret: a \$\{\.\.\.\} placeholder would be used as it is: seqpulse\.yml does not expand environment variables \(set SEQPULSE_HMAC_SECRET instead\)/);
    expect(r.stderr).toContain('seqpulse.yml:2: project: "${{ github.repository }}" would be used as it is');
    expect(r.stderr).toMatch(/endpoints\.0: "\$\{APP_URL\}" would be used as it is.*\(set SEQPULSE_ENDPOINTS instead\)/);
    // One reason per value: not also "must be an http:// URL"; queries are passed on as written.
    expect(r.stderr).not.toMatch(/must be an http|queries|pw-/);
  });

  it('yes/no and number settings given as text (variables, flags) say the value and what to give, not "expected boolean, received string"', async () => {
    const r = await runCli(['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--secret', 's3cret', '--retries', 'lots', '--', 'true'], { cwd: tempDir(), env: { SEQPULSE_EARLY_EXIT: 'maybe', SEQPULSE_PRE_SAMPLES: '1e3' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('environment: SEQPULSE_EARLY_EXIT: "maybe" is not true or false');
    expect(r.stderr).toContain('environment: SEQPULSE_PRE_SAMPLES: "1e3" is not a number (write it in digits, e.g. 12)');
    expect(r.stderr).toContain('flags: --retries: "lots" is not a number');
    expect(r.stderr).not.toMatch(/received string/);
  });

  it('a count given as a fraction (flag, variable, file) says it must be a whole number, not "expected int, received number"', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'seqpulse.yml'), 'metrics:\n  foo: { threshold: 5, min_samples: 2.5 }\n');
    const r = await runCli(['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--secret', 's3cret', '--retries', '1.5', '--', 'true'], { cwd: dir, env: { SEQPULSE_PRE_SAMPLES: '1.5' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('flags: --retries: must be a whole number');
    expect(r.stderr).toContain('environment: SEQPULSE_PRE_SAMPLES: must be a whole number');
    expect(r.stderr).toMatch(/seqpulse\.yml:2: metrics\.foo\.min_samples: must be a whole number/);
    expect(r.stderr).not.toMatch(/expected int/);
  });
});

describe('a settle period that leaves nothing to judge', () => {
  it('--settle as long as --window: exit 2 naming settle, nothing deployed (the judge would otherwise judge the settle samples after all)', async () => {
    const dir = tempDir();
    const marker = join(dir, 'deployed');
    const r = await runCli(['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--secret', 's', '--interval', '100ms', '--window', '2s', '--settle', '5s', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('settle: the settle period (5s) is not shorter than the observation window (2s): no POST sample would be left to judge');
    expect(existsSync(marker)).toBe(false);
  });
});
