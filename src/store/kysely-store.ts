/**
 * The Store port over kysely: the same queries for every dialect. Rows <-> records conversion
 * lives here so JSON, booleans and nulls round-trip the same way everywhere.
 */
import { sql, type Kysely, type RawBuilder, type Selectable, type SqlBool } from 'kysely';
import type { Phase, RunStatus, Verdict, VerdictReport } from '../core/types.js';
import type { Database, RunsTable, SamplesTable, VerdictsTable } from './schema.js';
import type { FinalPatch, HistoryFilter, RunPatch, RunRecord, RunSummary, SampleRow, Store, StoredSample, SyncState, VerdictRow } from './types.js';
import { RUN_COLUMNS, SAMPLE_COLUMNS, storedColumns, storedCommand, storedMetrics, storedSettings, storedVerdict, SUMMARY_COLUMNS, UnreadableRowError } from './stored-rows.js';

/** What `listRuns` reads: columns of the run, and the verdict's headline (null without one). */
const RUN_SUMMARY_COLUMNS = { id: RUN_COLUMNS.id, project: RUN_COLUMNS.project, env: RUN_COLUMNS.env, status: RUN_COLUMNS.status, result: RUN_COLUMNS.result, created_at: RUN_COLUMNS.created_at, finished_at: RUN_COLUMNS.finished_at, ...SUMMARY_COLUMNS };

/** Rows per INSERT: keeps statements under SQLite's bound-parameter limit. */
const INSERT_CHUNK = 2000;

/** What a dialect may do better than portable SQL. */
export interface DialectTuning {
  /** addSampleRows: all the rows in one transaction, skipping those already there. */
  addSampleRows?: (rows: readonly SampleRow[]) => Promise<void>;
}

export function kyselyStore(db: Kysely<Database>, tuning: DialectTuning = {}, now: () => string = () => new Date().toISOString()): Store {
  const writeSampleRows = async (given: readonly SampleRow[]): Promise<void> => {
    if (given.length === 0) return;
    const rows = given.map(storable);
    if (tuning.addSampleRows) return tuning.addSampleRows(rows);
    await transaction(db, async (trx) => {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('samples')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    });
  };
  const store: Store = {
    async createRun(run) {
      await db.insertInto('runs').values(runRow(run)).execute();
    },

    async updateRun(id, patch, from) {
      let update = db.updateTable('runs').set(patchValues(patch, now())).where('id', '=', id);
      if (from !== undefined) update = update.where('status', '=', from);
      return Number((await update.executeTakeFirst()).numUpdatedRows) > 0;
    },

    async conclude(id, patch, report) {
      return transaction(db, async (trx) => {
        // The verdict first: when another finish stored one already, this run's row is left as that one wrote it.
        if ((await insertVerdicts(trx, [verdictRow(report)])) === 0) return false;
        await trx.updateTable('runs').set(patchValues(patch, now())).where('id', '=', id).execute();
        return true;
      });
    },

    async abandonRun(id, from, at, unchangedSince) {
      let update = db
        .updateTable('runs')
        .set({ status: 'abandoned', finished_at: at, updated_at: unchangedSince ?? now() })
        .where('id', '=', id)
        .where('status', '=', from);
      if (unchangedSince !== undefined) update = update.where('updated_at', '=', unchangedSince);
      const result = await update
        .where((eb) => eb.not(eb.exists(eb.selectFrom('verdicts').select('verdicts.run_id').whereRef('verdicts.run_id', '=', 'runs.id'))))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async getRun(id) {
      const row = await db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
      return row && runRecord(row);
    },

    async findRunsByPrefix(prefix, limit = 10) {
      // Ids are UUIDs: anything else cannot match, and LIKE wildcards never reach the query.
      if (!/^[0-9a-f-]+$/i.test(prefix)) return [];
      const rows = await db.selectFrom('runs').selectAll().where('id', 'like', `${prefix.toLowerCase()}%`).orderBy('created_at', 'desc').limit(limit).execute();
      return rows.map(runRecord);
    },

    async addSamples(samples) {
      await writeSampleRows(samples.map(sampleRow));
    },

    async addSampleRows(rows) {
      await writeSampleRows(rows);
    },

    async getSamples(runId) {
      const rows = await db.selectFrom('samples').selectAll().where('run_id', '=', runId).orderBy('scheduled_at').orderBy('seq').orderBy('endpoint').execute();
      return rows.map(sampleRecord);
    },

    async samplesAfter(runId, after, limit) {
      // Keyset pagination over the (run_id, phase, seq, endpoint) unique index.
      const rows = await db
        .selectFrom('samples')
        .selectAll()
        .where('run_id', '=', runId)
        .$if(after !== undefined, (q) => q.where((eb) => eb(eb.refTuple('phase', 'seq', 'endpoint'), '>', eb.tuple(after!.phase, after!.seq, after!.endpoint))))
        .orderBy('phase')
        .orderBy('seq')
        .orderBy('endpoint')
        .limit(limit)
        .execute();
      return rows.map(sampleRecord);
    },

    async sampleRowsOf(runIds) {
      if (runIds.length === 0) return [];
      return db
        .selectFrom('samples')
        .selectAll()
        .where('run_id', 'in', [...runIds])
        .orderBy('run_id')
        .orderBy('scheduled_at')
        .orderBy('seq')
        .orderBy('endpoint')
        .execute();
    },

    async saveVerdict(report) {
      return (await store.saveVerdicts([report])) > 0;
    },

    async saveVerdicts(reports) {
      return store.addVerdictRows(reports.map(verdictRow));
    },

    async addVerdictRows(rows) {
      return insertVerdicts(db, rows);
    },

    async verdictRowsOf(runIds) {
      if (runIds.length === 0) return [];
      return db.selectFrom('verdicts').selectAll().where('run_id', 'in', [...runIds]).orderBy('run_id').execute();
    },

    async getVerdict(runId) {
      const row = await db.selectFrom('verdicts').select('report').where('run_id', '=', runId).executeTakeFirst();
      return row && storedVerdict<VerdictReport>(row.report, runId);
    },

    async listRuns(filter: HistoryFilter) {
      let query = db
        .selectFrom('runs')
        .leftJoin('verdicts', 'verdicts.run_id', 'runs.id')
        .select(['runs.id', 'runs.project', 'runs.env', 'runs.status', 'runs.result', 'runs.created_at', 'runs.finished_at', 'verdicts.verdict', 'verdicts.confidence']);
      if (filter.project !== undefined) query = query.where('runs.project', '=', filter.project);
      if (filter.env !== undefined) query = query.where('runs.env', '=', filter.env);
      if (filter.verdict !== undefined) query = query.where('verdicts.verdict', '=', filter.verdict);
      if (filter.since !== undefined) query = query.where('runs.created_at', '>=', filter.since);
      const rows = await query.orderBy('runs.created_at', 'desc').orderBy('runs.id').limit(filter.limit ?? 50).execute();
      return rows.map((r): RunSummary => {
        storedColumns(r, RUN_SUMMARY_COLUMNS, `run ${String(r.id)}`);
        return {
          id: r.id,
          project: r.project,
          env: r.env,
          status: r.status as RunStatus,
          verdict: (r.verdict ?? null) as Verdict | null,
          confidence: r.confidence ?? null,
          result: r.result as RunSummary['result'],
          created_at: r.created_at,
          finished_at: r.finished_at,
        };
      });
    },

    async upsertRun(run) {
      await store.upsertRuns([run]);
    },

    async upsertRuns(runs, verdicts = []) {
      if (runs.length === 0 && verdicts.length === 0) return 0;
      const mutable = ['project', 'env', 'status', 'settings', 'command', 'result', 'deploy_exit_code', 'deploy_signal', 'updated_at', 'deployed_at', 'finished_at'] as const;
      return transaction(db, async (trx) => {
        for (let i = 0; i < runs.length; i += INSERT_CHUNK) {
          await trx
            .insertInto('runs')
            .values(runs.slice(i, i + INSERT_CHUNK).map(runRow))
            .onConflict((oc) =>
              oc
                .column('id')
                .doUpdateSet((eb) => Object.fromEntries(mutable.map((col) => [col, eb.ref(`excluded.${col}`)])))
                // Only a copy at least as new replaces what the target has.
                .where((eb) => eb('runs.updated_at', '<=', eb.ref('excluded.updated_at'))),
            )
            .execute();
        }
        return insertVerdicts(trx, verdicts);
      });
    },

    async overlapping(run, until) {
      // An unfinished run older than a day is a crashed one, not a concurrent deploy.
      const staleBefore = new Date(Date.parse(run.created_at) - 86_400_000).toISOString();
      const rows = await db
        .selectFrom('runs')
        .select('id')
        .where('project', '=', run.project)
        .where('env', '=', run.env)
        .where('id', '!=', run.id)
        .where('created_at', '<=', until)
        .where((eb) => eb.or([eb('finished_at', '>=', run.created_at), eb.and([eb('finished_at', 'is', null), eb('created_at', '>=', staleBefore)])]))
        .orderBy('created_at')
        .execute();
      return rows.map((r) => r.id);
    },

    async unsettledRuns(since) {
      const rows = await db
        .selectFrom('runs')
        .leftJoin('verdicts', 'verdicts.run_id', 'runs.id')
        .selectAll('runs')
        .where('runs.created_at', '>=', since)
        .where('runs.status', '!=', 'abandoned')
        .where('verdicts.run_id', 'is', null)
        .orderBy('runs.created_at')
        .execute();
      // A row seqpulse cannot read (another writer's) is not settled, and left to the commands that
      // show it to say so: every command settles runs on opening the store, and one such row failed
      // them all, `run` before its deploy included, on a shared store for the whole team.
      return rows.flatMap((row) => {
        try {
          return [runRecord(row)];
        } catch (err) {
          if (err instanceof UnreadableRowError) return [];
          throw err;
        }
      });
    },

    async pruneBatch(before, batch) {
      return transaction(db, async (trx) => {
        const ids = (
          await trx.selectFrom('runs').select('id').where('created_at', '<', before).where(isoTime(sql.ref('created_at'))).orderBy('created_at').orderBy('id').limit(batch).execute()
        ).map((r) => r.id);
        if (ids.length === 0) return { runs: 0, samples: 0, done: true };
        const samples = await trx.deleteFrom('samples').where('run_id', 'in', ids).executeTakeFirst();
        await trx.deleteFrom('verdicts').where('run_id', 'in', ids).execute();
        const runs = await trx.deleteFrom('runs').where('id', 'in', ids).executeTakeFirst();
        // A DELETE that a trigger or rule turned into nothing still succeeds: counted, such a run
        // had lost its samples and verdict and stayed, and the next batch found it again, for ever.
        const kept = await trx.selectFrom('runs').select((eb) => eb.fn.countAll<number | string>().as('n')).where('id', 'in', ids).executeTakeFirst();
        if (Number(kept?.n ?? 0) > 0) throw new RowsKeptError(Number(kept!.n), ids.length);
        return { runs: Number(runs.numDeletedRows), samples: Number(samples.numDeletedRows), done: ids.length < batch };
      });
    },

    async runsOfUnknownAge(limit) {
      const odd = db.selectFrom('runs').where((eb) => eb.not(isoTime(sql.ref('created_at'))));
      const [count, runs] = await Promise.all([
        odd.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst(),
        odd.select(['id', 'created_at']).orderBy('id').limit(limit).execute(),
      ]);
      return { total: Number(count?.n ?? 0), runs };
    },

    async pageRuns(after, limit) {
      let query = db.selectFrom('runs').selectAll().orderBy('id').limit(limit);
      if (after !== null) query = query.where('id', '>', after);
      return (await query.execute()).map(runRecord);
    },

    async syncState(ids) {
      const state = new Map<string, SyncState>();
      if (ids.length === 0) return state;
      const wanted = [...ids];
      const rows = await db
        .selectFrom('runs')
        .leftJoin('verdicts', 'verdicts.run_id', 'runs.id')
        .leftJoin(
          (eb) =>
            eb
              .selectFrom('samples')
              .select((s) => ['samples.run_id', s.fn.countAll<number | string>().as('n'), s.fn.min('samples.id').as('first'), s.fn.max('samples.id').as('last')])
              .where('samples.run_id', 'in', wanted)
              .groupBy('samples.run_id')
              .as('s'),
          (join) => join.onRef('s.run_id', '=', 'runs.id'),
        )
        .select([
          'runs.id',
          'runs.updated_at',
          'runs.project',
          'runs.env',
          'runs.created_at',
          'runs.command',
          's.n',
          's.first',
          's.last',
          'verdicts.run_id as verdict_run',
          'verdicts.verdict',
          'verdicts.confidence',
          'verdicts.exit_code',
          'verdicts.summary',
          'verdicts.created_at as verdict_created_at',
          sql<number | string | null>`length(verdicts.report)`.as('report_length'),
        ])
        .where('runs.id', 'in', wanted)
        .execute();
      for (const r of rows) {
        state.set(r.id, {
          updated_at: r.updated_at,
          project: r.project,
          env: r.env,
          created_at: r.created_at,
          command: r.command,
          samples: Number(r.n ?? 0),
          sample_ids: r.first === null || r.first === undefined || r.last === null || r.last === undefined ? null : { first: r.first, last: r.last },
          verdict:
            r.verdict_run === null
              ? null
              : JSON.stringify([r.verdict, Number(r.confidence), Number(r.exit_code), storableText(r.summary ?? ''), r.verdict_created_at, Number(r.report_length)]),
        });
      }
      return state;
    },

    async close() {
      await db.destroy();
    },
  };
  return store;
}

/**
 * Whether a text column holds a time the way seqpulse writes it (2026-01-18T12:00:00.000Z): every
 * digit made a 0, the text is that shape. Only such times compare as text in time order; one
 * written with an offset, without its zeros or as a number sorts anywhere. Nested replace() because
 * SQLite and Postgres share no pattern syntax that tells a digit from another character.
 */
function isoTime(column: RawBuilder<unknown>): RawBuilder<SqlBool> {
  let zeroed = column;
  for (const digit of '123456789') zeroed = sql`replace(${zeroed}, ${sql.lit(digit)}, '0')`;
  return sql<SqlBool>`(${zeroed} = '0000-00-00T00:00:00.000Z')`;
}

/**
 * A delete the store accepted and did not do (a trigger or rule of someone else's on its tables):
 * the transaction is rolled back, so nothing of the batch is gone.
 */
export class RowsKeptError extends Error {
  constructor(
    readonly kept: number,
    readonly asked: number,
  ) {
    super(`kept ${kept} of the ${asked} runs it was told to delete`);
    this.name = 'RowsKeptError';
  }
}

/**
 * `db.transaction().execute(work)`, except that a failed ROLLBACK never hides why the transaction
 * failed: when COMMIT fails on a full disk, SQLite has already rolled back, and kysely's own
 * ROLLBACK would then throw "cannot rollback - no transaction is active" in place of the disk error.
 */
async function transaction<T>(db: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    try {
      const result = await work(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}

/** Verdict rows inserted once each (ON CONFLICT DO NOTHING), in chunks; returns how many were new. */
async function insertVerdicts(db: Kysely<Database>, given: readonly VerdictRow[]): Promise<number> {
  const rows = given.map(storable);
  let inserted = 0;
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const result = await db
      .insertInto('verdicts')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .onConflict((oc) => oc.column('run_id').doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  return inserted;
}

/** A patch as column values, with the update time; settings as JSON text. */
function patchValues(patch: RunPatch | FinalPatch, updatedAt: string): Partial<RunsTable> {
  const values: Record<string, unknown> = { updated_at: updatedAt };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    values[key] = key === 'settings' ? JSON.stringify(value) : value;
  }
  return storable(values) as Partial<RunsTable>;
}

function runRow(run: RunRecord): RunsTable {
  return storable({ ...run, settings: JSON.stringify(run.settings), command: run.command === null ? null : JSON.stringify(run.command) });
}

/**
 * A row whose text Postgres can hold: a NUL character (a metrics command's stderr, an error text an
 * endpoint wrote, a name from a hostile config) becomes U+FFFD. Postgres refuses NUL in text, and one
 * such row, stored locally, made every later sync of the store fail, and a Postgres store the run
 * itself. The same in SQLite, so both stores hold the same text; rows a sync brings from a store an
 * older version wrote are mended on the way. JSON text has NUL escaped already. Applied where rows
 * are written (runs, samples, verdicts), whatever wrote them.
 */
function storable<R extends object>(row: R): R {
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(row)) {
    if (typeof value === 'string' && value.includes('\0')) (out ??= { ...(row as Record<string, unknown>) })[key] = storableText(value);
  }
  return (out as R | undefined) ?? row;
}

/** Text as `storable` writes it: what a copy of it in another store holds. */
export function storableText(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}

function runRecord(row: Selectable<RunsTable>): RunRecord {
  storedColumns(row, RUN_COLUMNS, `run ${String(row.id)}`);
  return {
    ...row,
    status: row.status as RunStatus,
    result: row.result as RunRecord['result'],
    settings: storedSettings<RunRecord['settings']>(row.settings, row.id),
    command: row.command === null ? null : storedCommand(row.command, row.id),
  };
}

function verdictRow(report: VerdictReport): VerdictsTable {
  return {
    run_id: report.deployment_id,
    verdict: report.verdict,
    confidence: report.confidence,
    summary: report.summary,
    exit_code: report.exit_code,
    report: JSON.stringify(report),
    created_at: report.created_at,
  };
}

function sampleRow(s: StoredSample): SamplesTable {
  return { ...s, ok: s.ok ? 1 : 0, metrics: s.metrics === null ? null : JSON.stringify(s.metrics) };
}

/** Converted in place: an hour of samples is thousands of rows, and a copy would hold every JSON text until the last row is parsed. */
function sampleRecord(row: Selectable<SamplesTable>): StoredSample {
  storedColumns(row, SAMPLE_COLUMNS, `a sample of run ${String(row.run_id)}`);
  const record = row as unknown as StoredSample;
  record.phase = row.phase as Phase;
  record.ok = row.ok === 1;
  record.metrics = row.metrics === null ? null : storedMetrics(row.metrics, row.run_id);
  return record;
}
