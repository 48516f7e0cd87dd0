/**
 * What the system's resolver files say, read the way the C library reads them, for the lookups
 * seqpulse makes itself (lookup.ts): the hosts file (names that never reach DNS) and, from
 * resolv.conf, the search list and `ndots` (how a short name like `db` becomes `db.corp.example`).
 * Read at every lookup: both are a few lines, and a change to them counts at once.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

export const HOSTS_FILE = process.platform === 'win32' ? join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'drivers', 'etc', 'hosts') : '/etc/hosts';
export const RESOLV_CONF = '/etc/resolv.conf';

export interface HostsEntry {
  address: string;
  family: 4 | 6;
}

/** The addresses the hosts file gives `name` (case-insensitive), in file order; none when the file is missing. */
export async function hostsAddresses(name: string, file = HOSTS_FILE): Promise<HostsEntry[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const wanted = name.toLowerCase();
  const found: HostsEntry[] = [];
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || !names.some((n) => n.toLowerCase() === wanted)) continue;
    const family = isIP(address.replace(/%.*/, ''));
    if (family === 4 || family === 6) found.push({ address, family });
  }
  return found;
}

export interface SearchSettings {
  /** Domains tried after a short name, in order (`search`, or `domain` when it comes last). */
  search: string[];
  /** A name with fewer dots than this is tried with the search list first. */
  ndots: number;
}

/** `search`/`domain` and `options ndots:` of resolv.conf; LOCALDOMAIN and RES_OPTIONS override them, as for the C library. */
export async function searchSettings(file = RESOLV_CONF, env: Record<string, string | undefined> = process.env): Promise<SearchSettings> {
  const text = await readFile(file, 'utf8').catch(() => '');
  let search: string[] = [];
  let ndots = 1;
  const readOptions = (words: string[]) => {
    for (const word of words) {
      const m = /^ndots:(\d+)$/.exec(word);
      if (m) ndots = Math.min(15, Number(m[1]));
    }
  };
  for (const line of text.split('\n')) {
    const [keyword, ...words] = line.replace(/[#;].*/, '').trim().split(/\s+/);
    // The last of `search` and `domain` wins.
    if (keyword === 'search') search = words;
    else if (keyword === 'domain') search = words.slice(0, 1);
    else if (keyword === 'options') readOptions(words);
  }
  if (env.LOCALDOMAIN !== undefined) search = env.LOCALDOMAIN.trim().split(/\s+/).filter(Boolean);
  if (env.RES_OPTIONS) readOptions(env.RES_OPTIONS.trim().split(/\s+/));
  return { search: search.filter((d) => d !== '' && d !== '.'), ndots };
}

/** The names to ask DNS for, in order: the search list first for a short name, the name as given first otherwise; a trailing dot means no search. */
export function candidateNames(name: string, settings: SearchSettings): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const searched = settings.search.map((domain) => `${name}.${domain.replace(/\.$/, '')}`);
  const dots = name.split('.').length - 1;
  return dots >= settings.ndots ? [name, ...searched] : [...searched, name];
}
