/** A run by full id or unambiguous prefix, as people type them. */
import { NotFoundError, UsageError } from '../errors.js';
import type { RunRecord, Store } from '../store/types.js';

export async function findRun(store: Store, id: string): Promise<RunRecord> {
  const exact = await store.getRun(id);
  if (exact) return exact;
  if (id.length < 4) throw new NotFoundError(`no run with id ${id}`, 'Give the full deployment id, or at least 4 characters of it (see `seqpulse history`).');
  const matches = await store.findRunsByPrefix(id, 2);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new UsageError(`the id prefix ${id} matches several runs`, 'Give more characters of the deployment id.');
  throw new NotFoundError(`no run with id ${id} in this store`, 'Check the id and --store (see `seqpulse history`).');
}
