/**
 * A DNS server that never answers, for every remote part named by a host name: the store
 * (`--store postgres://`), the `--sync` target, `seqpulse sync --to`, the Pushgateway. The C
 * library's getaddrinfo would hold its thread (and process.exit with it) for resolv.conf's timeout
 * × attempts, whatever seqpulse's own deadline said; each command here must exit within its
 * deadline, having really asked the silent server (a real UDP server on 127.0.0.1).
 */
import { describe, expect, it } from 'vitest';
import { closeAfterEach, faultFlags, runCli, startCli, tempDir } from '../helpers/cli.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';
import { startDns, type TestDns } from '../helpers/test-dns.js';

const track = closeAfterEach();
/** What an exit may take beyond the deadlines that bound it, on a loaded machine (closing, exiting). */
const SLACK_MS = 3000;
const SHARED = 'postgres://u:secret-pw@db.example.internal/seqpulse';

/**
 * The CLI's result, and how long it took from its first DNS query to its exit: what the deadlines
 * bound (a getaddrinfo left waiting would hold the exit for resolv.conf's timeouts). Node's own
 * start-up, seconds on a loaded runner, comes before the first query and is no deadline's.
 */
async function timedCli(args: string[], dns: TestDns, cwd = tempDir()) {
  const cli = startCli(args, { cwd, env: { SEQPULSE_HMAC_SECRET: TEST_SECRET, ...dns.env } });
  let exitedAt = Number.NaN;
  cli.child.once('exit', () => (exitedAt = Date.now()));
  const result = await cli.done;
  const asked = dns.firstAskedAt();
  expect(asked, 'a DNS query').toBeDefined();
  return { ...result, ms: exitedAt - asked! };
}

describe('a DNS server that never answers', () => {
  it('`seqpulse sync --to` a Postgres by name: exit 2 within store_timeout, the server named, the password masked', async () => {
    const dns = track(await startDns());
    const cwd = tempDir();
    // Something to push, so the command gets as far as the target.
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    expect((await runCli(['run', ...faultFlags(app.url), '--', process.execPath, '-e', ''], { cwd, env: { SEQPULSE_HMAC_SECRET: TEST_SECRET } })).code).toBe(0);
    const r = await timedCli(['sync', '--to', SHARED, '--store-timeout', '2s'], dns, cwd);
    expect(r.code).toBe(2);
    expect(r.ms).toBeLessThan(2000 + SLACK_MS);
    expect(r.stderr).toMatch(/store postgres:\/\/\*\*\*@db\.example\.internal\/seqpulse cannot be used \(.*(no answer within 2s|DNS lookup of db\.example\.internal)/);
    expect(r.stderr).not.toContain('secret-pw');
    expect(dns.asked()).toContain('db.example.internal');
  }, 30_000);

  it('--store postgres:// by name: exit 2 within store_timeout, before anything is deployed', async () => {
    const dns = track(await startDns());
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const r = await timedCli(['run', ...faultFlags(app.url), '--store', SHARED, '--store-timeout', '2s', '--', process.execPath, '-e', 'console.log("DEPLOYED")'], dns);
    expect(r.code).toBe(2);
    expect(r.ms).toBeLessThan(2000 + SLACK_MS);
    expect(r.stdout + r.stderr).not.toContain('DEPLOYED');
    expect(dns.asked()).toContain('db.example.internal');
  }, 30_000);

  it('--sync and --pushgateway by name: the run keeps its verdict and exit code, with a warning for each, within the window plus their deadlines', async () => {
    const dns = track(await startDns());
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const r = await timedCli(
      ['run', ...faultFlags(app.url), '--sync', SHARED, '--sync-timeout', '2s', '--pushgateway', 'http://gateway.example.internal:9091', '--json', '--', process.execPath, '-e', ''],
      dns,
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'ok', exit_code: 0 });
    expect(r.stderr).toMatch(/Could not sync run [0-9a-f-]+ to postgres:\/\/\*\*\*@db\.example\.internal\/seqpulse/);
    expect(r.stderr).toMatch(/Could not push seqpulse metrics to http:\/\/gateway\.example\.internal:9091.*(DNS lookup of gateway\.example\.internal: no answer within 300ms|did not answer within 300ms)/);
    // At most, from the first lookup: PRE (3 × 100 ms), the window (1 s), sync_timeout (2 s) and the Pushgateway's timeout (300 ms).
    expect(r.ms).toBeLessThan(300 + 1000 + 2000 + 300 + SLACK_MS);
    expect(dns.asked()).toEqual(expect.arrayContaining(['db.example.internal', 'gateway.example.internal']));
  }, 30_000);
});
