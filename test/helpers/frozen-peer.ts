/**
 * A TCP peer that accepts every connection and never writes a byte (a frozen app, Prometheus or
 * Pushgateway: the kernel completes the handshake, nothing answers). It reads and drops what it is
 * sent, so a client closing its side is seen, and records when each connection opened and closed.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';

export interface FrozenPeer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Date.now() of each connection accepted, in order. */
  acceptedAt: number[];
  /** Date.now() of each connection closed (by the client, or by close()), in order. */
  closedAt: number[];
  close(): Promise<void>;
}

export async function frozenPeer(): Promise<FrozenPeer> {
  const sockets = new Set<Socket>();
  const acceptedAt: number[] = [];
  const closedAt: number[] = [];
  const server = createServer((socket) => {
    acceptedAt.push(Date.now());
    sockets.add(socket);
    socket.resume();
    socket.on('error', () => undefined).on('close', () => {
      closedAt.push(Date.now());
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    acceptedAt,
    closedAt,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
