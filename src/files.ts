/**
 * Files the user names. Reading (a sample file, a config file) has a hard size cap: the path may
 * be a device or a pipe that never ends (`/dev/zero`, `/dev/urandom`), which a plain readFile would
 * buffer until the process runs out of memory; pipes that end (`<(cmd)`) are read like files.
 * Writing (init's seqpulse.yml, a report) is all or nothing: a full disk leaves no half file.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createReadStream, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** More than `maxBytes` were read: not the kind of file the caller expected. */
export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than ${maxBytes / 1024 / 1024} MiB`);
    this.name = 'FileTooLargeError';
  }
}

/**
 * The file's bytes, read in chunks; FileTooLargeError past `maxBytes`, the system's error (with its
 * `code`) otherwise. Bytes, not text: callers check it is UTF-8 (unicode.ts), never decoded with U+FFFD.
 */
export function readBytesCapped(path: string, maxBytes: number): Promise<Buffer> {
  // The stream is closed (its file with it) when the reading stops, at the end or past the cap.
  return streamBytesCapped(createReadStream(path, { highWaterMark: Math.min(1024 * 1024, maxBytes + 1) }), maxBytes);
}

/** A stream's bytes (a file, standard input), FileTooLargeError past `maxBytes`. */
export async function streamBytesCapped(stream: AsyncIterable<Buffer | string>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const piece of stream) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    total += chunk.length;
    if (total > maxBytes) throw new FileTooLargeError(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function fsError(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
 * Writes `text` to `path` whole or not at all: into a temporary file beside it, then linked into
 * place (not over an existing file: EEXIST, unless `overwrite`) or renamed over the old one. A
 * write that fails half way (ENOSPC, EFBIG) leaves the path as it was. A directory is EISDIR; a
 * device or pipe (`/dev/stdout`) is written to, as it cannot be replaced; through a symbolic link
 * the file it points to is replaced, as a plain write would.
 */
export async function writeTextAtomic(path: string, text: string, opts: { overwrite: boolean }): Promise<void> {
  let existing: Stats | undefined;
  try {
    existing = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing?.isDirectory()) throw fsError(`${path} is a directory`, 'EISDIR');
  if (existing && !opts.overwrite) throw fsError(`${path} already exists`, 'EEXIST');
  if (existing && !existing.isFile()) {
    await writeFile(path, text);
    return;
  }
  const target = existing ? await realpath(path) : path;
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { flag: 'wx' });
    if (existing) {
      await chmod(temp, existing.mode & 0o7777);
      await rename(temp, target);
      return;
    }
    try {
      await link(temp, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // EEXIST: created since the stat, or a dangling symbolic link; a filesystem without hard links: renamed instead.
      if (code === 'EEXIST' && !opts.overwrite) throw err;
      if (code !== 'EEXIST' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
      await rename(temp, target);
    }
  } finally {
    await rm(temp, { force: true });
  }
}
