/**
 * Something that is not a sound Postgres server answers on the store's port (a proxy, another
 * service, a broken or hostile peer): a real TCP server on loopback that reads the start-up message
 * and answers what pg cannot read. `--store postgres://` then stops before the deploy with exit 2
 * and the server named, password masked; it used to crash with a stack trace and exit 1 (a
 * verdict's code), or hold gigabytes.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { closeAfterEach, runCli, tempDir } from '../helpers/cli.js';
import { TEST_SECRET } from '../helpers/test-app.js';

const track = closeAfterEach();
const PASSWORD = 'pg-pa55word-not-shown';

/** Reads the start-up message, then sends `answer(socket)`. */
async function fakePostgres(answer: (socket: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
    socket.once('data', () => answer(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const runWithStore = (port: number, cwd: string) =>
  runCli(['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--store', `postgres://seqpulse:${PASSWORD}@127.0.0.1:${port}/db`, '--store-timeout', '10s', '--', process.execPath, '-e', 'console.log("DEPLOYED")'], {
    cwd,
    env: { SEQPULSE_HMAC_SECRET: TEST_SECRET },
  });

describe('a store port answering what is not Postgres', () => {
  it('an authentication request of an unknown kind: exit 2 naming the store, nothing deployed (pg threw from the socket: a crash, exit 1)', async () => {
    // 'R', length 8, auth code 0x41414141.
    const peer = track(await fakePostgres((socket) => socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0x41, 0x41, 0x41, 0x41]))));
    const r = await runWithStore(peer.port, tempDir());
    expect(r.stderr).not.toMatch(/at Parser|parser\.js/);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`store postgres://***@127.0.0.1:${peer.port}/db cannot be used (unreadable answer, is it a Postgres server? (Unknown authenticationOk message type 1094795585))`);
    expect(r.stdout + r.stderr).not.toContain('DEPLOYED');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('a message announced 2 GiB long, then sent as fast as the socket takes it: exit 2 at once, not gigabytes held until store_timeout', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x41);
    const peer = track(
      await fakePostgres((socket) => {
        socket.write(Buffer.from([0x52, 0x7f, 0xff, 0xff, 0xff]));
        const pump = () => {
          while (!socket.destroyed && socket.write(chunk));
        };
        socket.on('drain', pump);
        pump();
      }),
    );
    const started = Date.now();
    const r = await runWithStore(peer.port, tempDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`store postgres://***@127.0.0.1:${peer.port}/db cannot be used (the server announced a message of 2147483647 bytes (more than 64 MiB): is it a Postgres server?)`);
    // Well before store_timeout (10 s), which is how long the 2 GiB took to pile up.
    expect(Date.now() - started).toBeLessThan(6000);
    expect(r.stdout + r.stderr).not.toContain('DEPLOYED');
  });
});
