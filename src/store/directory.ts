/**
 * Whether a SQLite store that does not exist yet can be created where its path says, and creating
 * its directories. `doctor` asks the first (it writes nothing) and every command that opens a store
 * does the second: one check, so doctor never passes a path that a run then refuses.
 */
import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { optionName } from '../config/names.js';
import { StoreError } from '../errors.js';

/**
 * Kernel file systems, where no file can be created. Node's recursive mkdir never returns under
 * /proc (it retries the ENOENT it gets there forever, at full CPU), so they are refused up front.
 */
const KERNEL_FILE_SYSTEMS = ['/proc', '/sys'];

export interface StoreDirectory {
  /** The nearest directory on the path that exists: the store's own when nothing is missing. */
  existing: string;
  /** The directories to create, outermost first. */
  missing: string[];
}

/**
 * Where a new store at `path` (absolute) would go; a StoreError, the one a run stops with, when
 * it cannot: under a kernel file system, under a file, or the nearest existing directory is not
 * writable. Reads only.
 */
export function storeDirectory(path: string): StoreDirectory {
  const kernel = KERNEL_FILE_SYSTEMS.find((root) => path === root || path.startsWith(`${root}/`));
  if (kernel) throw new StoreError(`store ${path} cannot be created: ${kernel} is a kernel file system, where no file can be created`, undefined, hint());
  const missing: string[] = [];
  // One level up per turn, and the root always exists: at most as many turns as the path has parts.
  let dir = dirname(path);
  for (;;) {
    const found = statOf(path, dir);
    if (found === 'directory') break;
    if (found === 'other') throw new StoreError(`store ${path} is under a path that is not a directory (${dir} is a file)`, undefined, hint());
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new StoreError(`store ${path} cannot be created: ${dir} is not writable`, err, hint());
  }
  return { existing: dir, missing };
}

/** Creates the directories a new store at `path` needs, one level at a time (never Node's recursive mkdir, see above). */
export function createStoreDirectory(path: string): void {
  for (const dir of storeDirectory(path).missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      // Another process made it in the meantime: as good as ours.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statOf(path, dir) === 'directory') continue;
      throw new StoreError(`store ${path} cannot be created: directory ${dir} could not be made (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err, hint());
    }
  }
}

function statOf(path: string, dir: string): 'directory' | 'other' | 'missing' {
  try {
    return statSync(dir).isDirectory() ? 'directory' : 'other';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a file further up; the walk up reaches it and says so.
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw new StoreError(`store ${path} cannot be created: ${dir} cannot be looked at (${code ?? String(err)})`, err, hint());
  }
}

function hint(): string {
  return `Use ${optionName('store')} with a path in a writable directory (default .seqpulse/seqpulse.db).`;
}

/**
 * A StoreError when something other than a regular file (or nothing) is where the store, or one of
 * the files SQLite keeps beside it, should be: a directory, a named pipe, a device, a socket (a
 * symlink is followed). SQLite opens a named pipe for reading like a file, and the open waits for
 * a writer for ever: `history`, `show`, `sync`... on a store that was a FIFO never ended. A
 * directory or /dev/null was "a disk I/O error" or "the disk is full". Reads only; called before
 * every open of a SQLite store.
 */
export function checkStoreFiles(path: string): void {
  for (const [file, what] of [
    [path, ''],
    [`${path}-wal`, 'its -wal file '],
    [`${path}-shm`, 'its -shm file '],
    [`${path}-journal`, 'its -journal file '],
  ] as const) {
    let stats: Stats;
    try {
      stats = statSync(file);
    } catch {
      // Not there (or not ours to look at): opening it says what is wrong, in its own words.
      continue;
    }
    if (stats.isFile()) continue;
    const kind = stats.isDirectory()
      ? 'a directory'
      : stats.isFIFO()
        ? 'a named pipe (FIFO)'
        : stats.isCharacterDevice()
          ? 'a character device'
          : stats.isBlockDevice()
            ? 'a block device'
            : stats.isSocket()
              ? 'a socket'
              : 'not a regular file';
    const shown = what === '' ? 'it ' : `${what}${file} `;
    throw new StoreError(
      `store ${path} cannot be used: ${shown}is ${kind}, not a SQLite file`,
      undefined,
      `${optionName('store')} (and --to, --sync) must name a SQLite file, or a path where one can be created (default .seqpulse/seqpulse.db).`,
    );
  }
}

/** A store file SQLite finds damaged (truncated, overwritten in part): what is said, and what to do. */
export const DAMAGED = 'is damaged: SQLite reports the database disk image is malformed (a file cut short or overwritten in part)';
export const DAMAGED_HINT =
  'Restore it from a copy, or move it aside (seqpulse then starts a new store there); `sqlite3 FILE .recover` may save the runs it still holds.';
