/** A run by full id or unambiguous prefix, as people type them. */
import { optionName } from '../config/names.js';
import { NotFoundError, UsageError } from '../errors.js';
import type { RunRecord, Store } from '../store/types.js';

/** `where`: the store's location as messages show it, so a miss says where it looked. */
export async function findRun(store: Store, id: string, where?: string): Promise<RunRecord> {
  const exact = await store.getRun(id);
  if (exact) return exact;
  const inStore = where ? ` in store ${where}` : ' in this store';
  if (id.length < 4) throw new NotFoundError(`no run with id ${id}${inStore}`, 'Give the full deployment id, or at least 4 characters of it (see `seqpulse history`).');
  const matches = await store.findRunsByPrefix(id, 2);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new UsageError(`the id prefix ${id} matches several runs${inStore}`, 'Give more characters of the deployment id.');
  throw new NotFoundError(`no run with id ${id}${inStore}`, `Check the id, and the store (see \`seqpulse history\`; ${optionName('store')} to look elsewhere).`);
}
