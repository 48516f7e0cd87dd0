/**
 * Lookups that end (src/net/lookup.ts), against real DNS servers on 127.0.0.1: one that never
 * answers, one that answers some names; and the resolver files read as the C library reads them.
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addressesOf, LookupError, lookupWithin, TEST_DNS_SERVERS_VAR } from '../../src/net/lookup.js';
import { candidateNames, hostsAddresses, searchSettings } from '../../src/net/resolver-files.js';
import { closeAfterEach, tempDir } from '../helpers/cli.js';
import { startDns } from '../helpers/test-dns.js';

const track = closeAfterEach();
/** What a lookup may take beyond its deadline on a loaded machine. */
const SLACK_MS = 1000;

afterEach(() => {
  delete process.env[TEST_DNS_SERVERS_VAR];
  delete process.env.LOCALDOMAIN;
  delete process.env.RES_OPTIONS;
});

async function timed<T>(work: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = Date.now();
  return work.then(
    (value) => ({ ms: Date.now() - started, value }),
    (error: unknown) => ({ ms: Date.now() - started, error }),
  );
}

describe('a DNS server that never answers', () => {
  it('the lookup ends at its deadline, coded as getaddrinfo would (EAI_AGAIN), naming the host and the deadline', async () => {
    const dns = track(await startDns());
    Object.assign(process.env, dns.env);
    const lookup = await timed(addressesOf('db.example.internal', 0, 800));
    expect(lookup.error).toBeInstanceOf(LookupError);
    expect((lookup.error as LookupError).code).toBe('EAI_AGAIN');
    expect((lookup.error as Error).message).toBe('DNS lookup of db.example.internal: no answer within 800ms');
    expect(lookup.ms).toBeGreaterThanOrEqual(750);
    expect(lookup.ms).toBeLessThan(800 + SLACK_MS);
    expect(dns.asked()).toContain('db.example.internal');
  });

  it('a socket connecting through it fails within the deadline', async () => {
    const dns = track(await startDns());
    Object.assign(process.env, dns.env);
    const started = Date.now();
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const socket = connect({ host: 'db.example.internal', port: 5432, lookup: lookupWithin(500) });
      socket.on('error', resolve);
    });
    expect(error.code).toBe('EAI_AGAIN');
    expect(Date.now() - started).toBeLessThan(500 + SLACK_MS);
  });

  it('never asked for IP literals, localhost, or a name the hosts file gives', async () => {
    const dns = track(await startDns());
    Object.assign(process.env, dns.env);
    expect(await addressesOf('10.1.2.3', 0, 500)).toEqual([{ address: '10.1.2.3', family: 4 }]);
    expect(await addressesOf('[::1]', 0, 500)).toEqual([{ address: '::1', family: 6 }]);
    expect(await addressesOf('api.localhost', 6, 500)).toEqual([{ address: '::1', family: 6 }]);
    const hosts = (await hostsAddresses('localhost'))[0];
    if (hosts) expect(await addressesOf('LOCALHOST', hosts.family, 500)).toContainEqual(hosts);
    expect(dns.asked()).toEqual([]);
  });
});

describe('a DNS server that answers', () => {
  it('a short name is tried with the search list first, a name with enough dots as given first, as ndots says', async () => {
    const dns = track(await startDns({ answers: { 'db.corp.test': '10.0.0.1', 'db.eu': '10.0.0.2', 'db.eu.corp.test': '10.0.0.3' } }));
    Object.assign(process.env, dns.env, { LOCALDOMAIN: 'corp.test' });
    expect(await addressesOf('db', 4, 2000)).toEqual([{ address: '10.0.0.1', family: 4 }]);
    expect(await addressesOf('db.eu', 4, 2000)).toEqual([{ address: '10.0.0.2', family: 4 }]);
    process.env.RES_OPTIONS = 'ndots:2';
    expect(await addressesOf('db.eu', 4, 2000)).toEqual([{ address: '10.0.0.3', family: 4 }]);
    const missing = await timed(addressesOf('nowhere', 0, 2000));
    expect((missing.error as LookupError).code).toBe('ENOTFOUND');
    expect((missing.error as Error).message).toBe('DNS lookup of nowhere: no such host');
  });
});

describe('the resolver files', () => {
  it('hosts: every address of a name or alias, case-insensitive, comments and zone ids understood', async () => {
    const file = join(tempDir('seqpulse-hosts-'), 'hosts');
    writeFileSync(file, '# comment db\n10.0.0.1 db db.corp # db2\n::1 localhost DB\nfe80::1%eth0 db\nnot-an-ip db\n\n');
    expect(await hostsAddresses('Db', file)).toEqual([
      { address: '10.0.0.1', family: 4 },
      { address: '::1', family: 6 },
      { address: 'fe80::1%eth0', family: 6 },
    ]);
    expect(await hostsAddresses('db2', file)).toEqual([]);
    expect(await hostsAddresses('db', join(file, 'missing'))).toEqual([]);
  });

  it('resolv.conf: the last of search and domain wins; ndots from options; LOCALDOMAIN and RES_OPTIONS override', async () => {
    const file = join(tempDir('seqpulse-resolv-'), 'resolv.conf');
    writeFileSync(file, 'nameserver 10.0.0.53\ndomain old.test\nsearch a.test b.test. # comment\noptions ndots:5 timeout:30\n');
    expect(await searchSettings(file, {})).toEqual({ search: ['a.test', 'b.test.'], ndots: 5 });
    expect(await searchSettings(file, { LOCALDOMAIN: 'c.test', RES_OPTIONS: 'ndots:0' })).toEqual({ search: ['c.test'], ndots: 0 });
    expect(candidateNames('db', { search: ['a.test', 'b.test.'], ndots: 1 })).toEqual(['db.a.test', 'db.b.test', 'db']);
    expect(candidateNames('db.svc', { search: ['a.test'], ndots: 1 })).toEqual(['db.svc', 'db.svc.a.test']);
    expect(candidateNames('db.svc.', { search: ['a.test'], ndots: 5 })).toEqual(['db.svc']);
  });
});
