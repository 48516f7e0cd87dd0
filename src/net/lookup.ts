/**
 * Host name lookups that end by a deadline, for every client of a remote part: the Postgres store
 * and sync target, the sql source, the HTTP sources, the Pushgateway, the GitHub API.
 *
 * Why not Node's own (dns.lookup, what net.connect uses unless told otherwise): it calls the C
 * library's getaddrinfo() on libuv's thread pool, and that call cannot be cancelled. A DNS server
 * that never answers holds the thread for resolv.conf's timeout × attempts (150 s seen), and
 * process.exit waits for the thread pool: the command reports its deadline in time, then the
 * process hangs on. Here DNS is asked through c-ares (dns.Resolver), on the event loop, with a
 * timeout per query, and whatever is still pending at the deadline is cancelled. IP literals, the
 * hosts file and `localhost` are answered first, without DNS, as the C library does.
 *
 * What this does not do: other sources of names the C library may be configured with in
 * nsswitch.conf (mDNS, LDAP, NIS, systemd's `resolve` module; a systemd-resolved stub server in
 * resolv.conf is plain DNS and works).
 */
import { Resolver } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP, Socket, type LookupFunction } from 'node:net';
import { formatDuration } from '../config/duration.js';
import { KEEPALIVE_DELAY_MS } from '../deadline.js';
import { candidateNames, hostsAddresses, searchSettings } from './resolver-files.js';

/**
 * Test-only: DNS servers (`host:port`, comma-separated) used instead of resolv.conf's, so a test
 * can point lookups at a server of its own (one that never answers). Not a setting.
 */
export const TEST_DNS_SERVERS_VAR = '__SEQPULSE_TEST_DNS_SERVERS';

/** Attempts per query (c-ares retries a query that got no answer, possibly at another server). */
const TRIES = 2;
/** c-ares' answers that mean "no such name (or no address of that family)": the next candidate is tried. */
const NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA']);

type Family = 0 | 4 | 6;

/**
 * Connect options for an HTTP client (undici's `connect`) that cannot hang on a remote part: a
 * connect timeout, a lookup that ends, and TCP keepalive (a peer whose host is gone is noticed).
 */
export function boundedConnect(timeoutMs: number): { timeout: number; keepAlive: true; keepAliveInitialDelay: number; lookup: LookupFunction } {
  return { timeout: timeoutMs, keepAlive: true, keepAliveInitialDelay: KEEPALIVE_DELAY_MS, lookup: lookupWithin(timeoutMs) };
}

/** A lookup for net.connect / tls.connect / undici's `connect.lookup`: every call ends within `ms`. */
export function lookupWithin(ms: number): LookupFunction {
  return (hostname, options, callback) => {
    const family: Family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    addressesOf(hostname, family, ms).then(
      (addresses) => {
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, options.all ? [] : ''),
    );
  };
}

/** The addresses of `host` (IPv4 first), or a LookupError within `ms`. */
export async function addressesOf(host: string, family: Family, ms: number): Promise<LookupAddress[]> {
  const name = host.replace(/^\[(.*)\]$/, '$1');
  const literal = isIP(name);
  if (literal === 4 || literal === 6) return [{ address: name, family: literal }];
  const wanted = (f: number) => family === 0 || f === family;
  const listed = (await hostsAddresses(name)).filter((e) => wanted(e.family));
  if (listed.length > 0) return unique(listed);
  // RFC 6761: localhost and its subdomains are the loopback, never asked of DNS.
  if (/^(.+\.)?localhost\.?$/i.test(name)) return LOOPBACK.filter((a) => wanted(a.family));
  return dnsAddresses(name, family, ms);
}

const LOOPBACK: LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

async function dnsAddresses(name: string, family: Family, ms: number): Promise<LookupAddress[]> {
  const resolver = new Resolver({ timeout: Math.max(100, Math.min(5000, Math.floor(ms / (TRIES + 1)))), tries: TRIES });
  const servers = process.env[TEST_DNS_SERVERS_VAR];
  if (servers) resolver.setServers(servers.split(','));
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    resolver.cancel();
  }, ms);
  try {
    let failure: NodeJS.ErrnoException | undefined;
    for (const candidate of candidateNames(name, await searchSettings())) {
      const [v4, v6] = await Promise.allSettled([family === 6 ? [] : resolver.resolve4(candidate), family === 4 ? [] : resolver.resolve6(candidate)]);
      const found = [...settled(v4).map((address) => ({ address, family: 4 })), ...settled(v6).map((address) => ({ address, family: 6 }))];
      if (found.length > 0) return found;
      for (const r of [v4, v6]) if (r.status === 'rejected' && !NOT_FOUND.has(String((r.reason as NodeJS.ErrnoException).code))) failure ??= r.reason as NodeJS.ErrnoException;
      if (expired) break;
    }
    // c-ares' own retries are cut to end about at the deadline: whether its timeout or the deadline
    // fires first is a race, and both mean the same to the user.
    if (expired || failure?.code === 'ETIMEOUT') throw new LookupError(name, `no answer within ${formatDuration(ms)}`, 'EAI_AGAIN');
    if (failure) throw new LookupError(name, `the DNS server failed (${failure.code})`, 'EAI_AGAIN');
    throw new LookupError(name, 'no such host', 'ENOTFOUND');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A socket for pg's `stream` option. pg calls `connect(port, host)`, which would look the host up
 * with dns.lookup; this socket uses `lookup` instead. A Unix socket path (one argument) is left as is.
 */
export function socketWithLookup(lookup: LookupFunction): Socket {
  const socket = new Socket();
  const connect = socket.connect.bind(socket) as (...args: unknown[]) => Socket;
  socket.connect = ((...args: unknown[]) =>
    typeof args[1] === 'string' && (typeof args[0] === 'number' || typeof args[0] === 'string') ? connect({ port: Number(args[0]), host: args[1], lookup }) : connect(...args)) as Socket['connect'];
  return socket;
}

function settled(result: PromiseSettledResult<string[]>): string[] {
  return result.status === 'fulfilled' ? result.value : [];
}

function unique(addresses: LookupAddress[]): LookupAddress[] {
  return addresses.filter((a, i) => addresses.findIndex((b) => b.address === a.address) === i);
}

/** Coded like getaddrinfo's errors (ENOTFOUND, EAI_AGAIN), so every client reports it as it would those. */
export class LookupError extends Error {
  readonly code: string;
  readonly hostname: string;
  constructor(hostname: string, why: string, code: 'ENOTFOUND' | 'EAI_AGAIN') {
    super(`DNS lookup of ${hostname}: ${why}`);
    this.name = 'LookupError';
    this.code = code;
    this.hostname = hostname;
  }
}
