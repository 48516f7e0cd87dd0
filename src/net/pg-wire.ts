/**
 * The socket pg reads a Postgres server through, guarded against what answers on the server's port
 * when it is not a sound Postgres server (a proxy, another service, a broken or hostile peer):
 *
 * - pg's parser throws on what it cannot read (an authentication request of an unknown kind, a
 *   message shorter than its fields), from inside the socket's `data` event, where nothing catches
 *   it: the process crashed with a stack trace and exit 1, a verdict's code. Here the throw destroys
 *   the socket with that error instead, and the operation fails with it, as for a reset.
 * - Messages are a type byte and a 4-byte length, and pg buffers each one whole before parsing it,
 *   however long its length says it is: a peer announcing 2 GiB and sending it had pg hold 2 GiB
 *   (2.2 GB resident within a 10 s store_timeout). A message announced longer than
 *   MAX_PG_MESSAGE_BYTES destroys the socket. The largest seqpulse expects is a row of one sample
 *   (its metrics, a few MiB at most), or a sql source answer, which it cuts at 16 MiB.
 *
 * A connection that asks for TLS (its first message is an SSLRequest) is read by pg through the TLS
 * socket it wraps around this one, which this does not see: only plaintext connections are guarded.
 */
import type { Socket } from 'node:net';

export const MAX_PG_MESSAGE_BYTES = 64 * 1024 * 1024;
/** The code of an SSLRequest, after its length (8). */
const SSL_REQUEST = 80877103;

/** `socket`, guarded; call it before pg connects the socket (pg's `stream` option). */
export function guardPgSocket(socket: Socket, maxMessageBytes: number = MAX_PG_MESSAGE_BYTES): Socket {
  const on = socket.on.bind(socket) as (event: string, listener: (...args: unknown[]) => void) => Socket;
  // pg's parser listens with on('data') (and once(), which goes through on()).
  socket.on = ((event: string, listener: (...args: unknown[]) => void) =>
    on(event, event !== 'data' ? listener : (...args: unknown[]) => {
      try {
        listener(...args);
      } catch (err) {
        socket.destroy(new Error(`unreadable answer, is it a Postgres server? (${err instanceof Error ? err.message : String(err)})`));
      }
    })) as Socket['on'];

  // Whether pg asks for TLS, from its first message. Watched from connect() on: Node's connect() puts the prototype's write back.
  let plain: boolean | undefined;
  const connect = socket.connect.bind(socket) as (...args: unknown[]) => Socket;
  socket.connect = ((...args: unknown[]) => {
    connect(...args);
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      const first = args[0];
      if (plain === undefined && Buffer.isBuffer(first)) plain = !(first.length >= 8 && first.readInt32BE(0) === 8 && first.readInt32BE(4) === SSL_REQUEST);
      return write(...args);
    }) as Socket['write'];
    return socket;
  }) as Socket['connect'];
  const header = Buffer.alloc(5);
  let headerBytes = 0;
  let skip = 0;
  on('data', (chunk) => {
    if (plain !== true) return;
    const bytes = chunk as Buffer;
    for (let i = 0; i < bytes.length; ) {
      if (skip > 0) {
        const n = Math.min(skip, bytes.length - i);
        skip -= n;
        i += n;
        continue;
      }
      header[headerBytes++] = bytes[i++]!;
      if (headerBytes < 5) continue;
      headerBytes = 0;
      const length = header.readUInt32BE(1);
      if (length > maxMessageBytes) {
        socket.destroy(new Error(`the server announced a message of ${length} bytes (more than ${maxMessageBytes / 1024 / 1024} MiB): is it a Postgres server?`));
        return;
      }
      skip = Math.max(0, length - 4);
    }
  });
  return socket;
}
