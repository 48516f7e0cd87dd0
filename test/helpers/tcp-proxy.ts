/**
 * A TCP proxy on 127.0.0.1 that records every byte a client sends through it: what a test reads
 * to show that something was, or was never, sent to the server (e.g. no metric query before the
 * role check refused the role).
 */
import { createServer, connect, type Socket } from 'node:net';

export interface RecordingProxy {
  port: number;
  /** Everything clients sent so far, all connections together. */
  sent(): Buffer;
  close(): Promise<void>;
}

export async function recordingProxy(target: { host: string; port: number }): Promise<RecordingProxy> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      chunks.push(Buffer.from(chunk));
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    port: address.port,
    sent: () => Buffer.concat(chunks),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
