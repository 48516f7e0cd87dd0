/**
 * How configuration errors read, through the built CLI: bounded, one issue a line, whatever the
 * file holds. Real processes, real files.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

const CRASH = /internal error|\n\s+at /;

function dirWith(config: string | Buffer): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'seqpulse.yml'), config);
  writeFileSync(join(dir, 'pre.json'), JSON.stringify({ metrics: { error_rate: 0.01 } }));
  return dir;
}

async function analyzeWith(config: string | Buffer) {
  const r = await runCli(['analyze', '--pre', 'pre.json', '--post', 'pre.json'], { cwd: dirWith(config) });
  expect(r.stderr).not.toMatch(CRASH);
  expect(r.code, r.stderr).toBe(2);
  return r;
}

describe('configuration errors', () => {
  it('lists the first 20 issues and counts the rest (1,000 unknown keys made 95 KB of error)', async () => {
    const r = await analyzeWith(Array.from({ length: 1000 }, (_, i) => `k${i}: 1`).join('\n'));
    const listed = r.stderr.split('\n').filter((l) => /seqpulse\.yml:\d+: k\d+: unknown key/.test(l));
    expect(listed).toHaveLength(20);
    expect(listed[19]).toContain('seqpulse.yml:20: k19: unknown key');
    expect(r.stderr).toContain('\n  … and 980 more issues\n');
    expect(r.stderr.length).toBeLessThan(4000);
  });

  it('a line break or carriage return in a key or in the file\'s name is shown escaped: no forged issue line', async () => {
    const r = await analyzeWith('metrics:\n  "x\\n  seqpulse.yml:9: all good, ignore the above": {threshold: 5}\n  "y\\r  seqpulse.yml:8: fine": {threshold: 5}\n');
    expect(r.stderr).not.toMatch(/^ {2}seqpulse\.yml:[89]/m);
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).toContain('seqpulse.yml:2: metrics.x\\n  seqpulse.yml:9: all good, ignore the above: not a valid name');
    expect(r.stderr).toContain('seqpulse.yml:3: metrics.y\\r  seqpulse.yml:8: fine: not a valid name');
    const dir = tempDir();
    const name = 'odd\n  seqpulse.yml:1: fine.yml';
    writeFileSync(join(dir, name), 'windw: 5m\n');
    writeFileSync(join(dir, 'pre.json'), JSON.stringify({ metrics: { error_rate: 0.01 } }));
    const file = await runCli(['analyze', '--pre', 'pre.json', '--post', 'pre.json', '--config', name], { cwd: dir });
    expect(file.code).toBe(2);
    expect(file.stderr).toBe('seqpulse: invalid configuration:\n  odd\\n  seqpulse.yml:1: fine.yml:1: windw: unknown key (did you mean window?)\n');
  });

  it('a duration of .inf, -.inf or .nan (YAML numbers) says it is not a finite duration, not just "invalid input"', async () => {
    const r = await analyzeWith('window: .inf\ninterval: -.inf\ntimeout: .nan\nsettle: true\n');
    expect(r.stderr).toContain('seqpulse.yml:1: window: .inf is not a finite duration (use e.g. 500ms, 10s, 15m, 1h, or a number of seconds)');
    expect(r.stderr).toContain('seqpulse.yml:2: interval: -.inf is not a finite duration');
    expect(r.stderr).toContain('seqpulse.yml:3: timeout: .nan is not a finite duration');
    expect(r.stderr).toContain('seqpulse.yml:4: settle: expected a duration, got boolean');
    expect(r.stderr).not.toContain('invalid input');
  });

  it('a value of the wrong kind says what the key takes and what it got, in words: not "invalid input" (secret: 5), "received Infinity" or "invalid option"', async () => {
    const r = await analyzeWith('secret: 5\nendpoints: 5\nmetrics:\n  cpu_usage:\n    threshold: .inf\n    critical: 3\n    direction: up\nenvironments:\n  prod: 5\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('seqpulse.yml:1: secret: expected text or a list, got number');
    expect(r.stderr).toContain('seqpulse.yml:2: endpoints: expected a list, got number');
    expect(r.stderr).toContain('seqpulse.yml:5: metrics.cpu_usage.threshold: must be a finite number');
    expect(r.stderr).toContain('seqpulse.yml:6: metrics.cpu_usage.critical: expected true or false, got number');
    expect(r.stderr).toContain('seqpulse.yml:7: metrics.cpu_usage.direction: must be one of increase, decrease, both');
    expect(r.stderr).toContain('seqpulse.yml:9: environments.prod: expected keys and values (a mapping), got number');
    expect(r.stderr).not.toMatch(/invalid input|invalid option|received/i);
  });

  it('a key that is a list, a map or an alias of one is refused with its line, with no raw warning from the YAML library', async () => {
    const r = await analyzeWith('project: x\n? [a, b]\n: 1\nmetrics:\n  ? {a: 1}\n  : {threshold: 5}\nlist: &l [1]\n*l : 2\n');
    expect(r.stderr).not.toMatch(/Warning|mapAsMap|node:/);
    expect(r.stderr).toMatch(/seqpulse\.yml:2: \(yaml\): a key that is a list or a map \(\["a","b"\]\): keys in seqpulse\.yml are names\n/);
    expect(r.stderr).toMatch(/seqpulse\.yml:5: \(yaml\): a key that is a list or a map \(\{"a":1\}\)/);
    expect(r.stderr).toMatch(/seqpulse\.yml:8: \(yaml\): a key that is a list or a map \(\*l\)/);
  });

  it('several YAML documents in one file say that seqpulse.yml holds one, not which function of the parser to call', async () => {
    const r = await analyzeWith('project: x\n---\nenv: y\n');
    expect(r.stderr).toMatch(/seqpulse\.yml:2: \(yaml\): more than one YAML document \(a line "---" starts another\): seqpulse\.yml holds one document\n/);
    expect(r.stderr).not.toContain('parseAllDocuments');
  });

  it('a file that is not UTF-8 (Latin-1 café) is refused with its line, column and byte offset, not read with U+FFFD in its place', async () => {
    // A real U+FFFD (written as UTF-8) before the bad byte is text like any other.
    const r = await analyzeWith(Buffer.concat([Buffer.from('project: "\ufffd ok"\nenv: café \ufffd b'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(r.stderr).toMatch(/seqpulse\.yml:2: \(file\): not UTF-8 text: byte 0xe9 at column 14 \(byte offset 34 of the file\)\n {2}Save seqpulse\.yml as UTF-8/);
    const fine = await runCli(['analyze', '--pre', 'pre.json', '--post', 'pre.json', '--json'], { cwd: dirWith('project: "caf\u00e9 \ufffd"\n') });
    expect(fine.code, fine.stderr).toBe(0);
    expect(JSON.parse(fine.stdout).project).toBe('café \ufffd');
  });
});
