/**
 * Reading a file the user named (a sample file, a config file) with a hard size cap: the path may
 * be a device or a pipe that never ends (`/dev/zero`, `/dev/urandom`), which a plain readFile would
 * buffer until the process runs out of memory. Pipes that end (`<(cmd)`) are read like files.
 */
import { open } from 'node:fs/promises';

/** More than `maxBytes` were read: not the kind of file the caller expected. */
export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than ${maxBytes / 1024 / 1024} MiB`);
    this.name = 'FileTooLargeError';
  }
}

/** The file's text (UTF-8), read in chunks; FileTooLargeError past `maxBytes`, the system's error (with its `code`) otherwise. */
export async function readTextCapped(path: string, maxBytes: number): Promise<string> {
  const file = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, maxBytes + 1));
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw new FileTooLargeError(maxBytes);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    await file.close();
  }
}
