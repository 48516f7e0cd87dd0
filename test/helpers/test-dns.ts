/**
 * A DNS server on 127.0.0.1 (UDP) for tests. By default it reads every query and never answers:
 * what a resolver sees when its DNS server is down behind a firewall that drops packets, or cut off
 * by a partition. Given `answers`, it answers those names' A queries (an empty answer for any other
 * type) and says NXDOMAIN for every other name. Records the names asked for, so a test can tell a
 * lookup really went there. seqpulse is pointed at it with the test-only variable
 * TEST_DNS_SERVERS_VAR (src/net/lookup.ts).
 */
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { TEST_DNS_SERVERS_VAR } from '../../src/net/lookup.js';

export interface TestDns {
  /** `{ [TEST_DNS_SERVERS_VAR]: '127.0.0.1:port' }`, for a child's environment (or this process's). */
  env: Record<string, string>;
  /** The names of the queries received so far (lower case, without the trailing dot). */
  asked(): string[];
  /** When the first query arrived (epoch ms), if one has: a lookup's deadline runs from about then. */
  firstAskedAt(): number | undefined;
  close(): Promise<void>;
}

const TYPE_A = 1;

export async function startDns(opts: { answers?: Record<string, string> } = {}): Promise<TestDns> {
  const names: string[] = [];
  let first: number | undefined;
  const socket = createSocket('udp4');
  socket.on('message', (packet: Buffer, from) => {
    const question = readQuestion(packet);
    if (!question) return;
    first ??= Date.now();
    names.push(question.name);
    if (!opts.answers) return;
    const address = opts.answers[question.name];
    socket.send(answer(packet, question.end, address === undefined ? 'nxdomain' : question.type === TYPE_A ? address : 'empty'), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = (socket.address() as AddressInfo).port;
  return {
    env: { [TEST_DNS_SERVERS_VAR]: `127.0.0.1:${port}` },
    asked: () => [...names],
    firstAskedAt: () => first,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** The question: after the 12-byte header, length-prefixed labels up to a zero byte, then its type and class. */
function readQuestion(packet: Buffer): { name: string; type: number; end: number } | undefined {
  const labels: string[] = [];
  for (let at = 12; at < packet.length; ) {
    const length = packet[at]!;
    if (length === 0) return at + 5 <= packet.length ? { name: labels.join('.').toLowerCase(), type: packet.readUInt16BE(at + 1), end: at + 5 } : undefined;
    labels.push(packet.subarray(at + 1, at + 1 + length).toString('latin1'));
    at += 1 + length;
  }
  return undefined;
}

/** The query turned into its answer: same id and question; one A record, none, or NXDOMAIN. */
function answer(query: Buffer, questionEnd: number, what: string): Buffer {
  const header = Buffer.from(query.subarray(0, 12));
  header.writeUInt16BE(what === 'nxdomain' ? 0x8183 : 0x8180, 2); // a response, recursion available; rcode 3 = NXDOMAIN
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(what === 'nxdomain' || what === 'empty' ? 0 : 1, 6);
  header.writeUInt32BE(0, 8);
  const question = query.subarray(12, questionEnd);
  if (what === 'nxdomain' || what === 'empty') return Buffer.concat([header, question]);
  // The name as a pointer to the question's, type A, class IN, a TTL of 60 s, four bytes of address.
  const record = Buffer.from([0xc0, 0x0c, 0, TYPE_A, 0, 1, 0, 0, 0, 60, 0, 4, ...what.split('.').map(Number)]);
  return Buffer.concat([header, question, record]);
}
