/**
 * Schema migrations, inline (a bundle carries no migration files), versioned, forward-only, run on
 * open by kysely's Migrator, which records them in its own table.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { StoreError } from '../errors.js';
import { version } from '../version.js';
import type { Database } from './schema.js';

/**
 * Each step may be run again over what a failed run of it left: SQLite's DDL runs outside a
 * transaction under kysely's migrator, so a full disk (or a kill) part-way through the first
 * migration left some tables and no record of it, and every later open failed ("table runs already
 * exists"). Hence IF NOT EXISTS everywhere: the next open completes it.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001_runs_samples_verdicts': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('runs')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('env', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('command', 'text')
        .addColumn('result', 'text')
        .addColumn('deploy_exit_code', 'integer')
        .addColumn('deploy_signal', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('deployed_at', 'text')
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema.createIndex('runs_project_env_created').ifNotExists().on('runs').columns(['project', 'env', 'created_at']).execute();
      await db.schema.createIndex('runs_created').ifNotExists().on('runs').column('created_at').execute();

      await db.schema
        .createTable('samples')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('scheduled_at', 'text', (c) => c.notNull())
        .addColumn('taken_at', 'text', (c) => c.notNull())
        .addColumn('ok', 'integer', (c) => c.notNull())
        .addColumn('http_status', 'integer')
        .addColumn('error', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('latency_ms', 'double precision')
        .addColumn('metrics', 'text')
        .addUniqueConstraint('samples_tick_endpoint', ['run_id', 'phase', 'seq', 'endpoint'])
        .execute();
      await db.schema.createIndex('samples_run').ifNotExists().on('samples').column('run_id').execute();

      await db.schema
        .createTable('verdicts')
        .ifNotExists()
        .addColumn('run_id', 'text', (c) => c.primaryKey().references('runs.id').onDelete('cascade'))
        .addColumn('verdict', 'text')
        .addColumn('confidence', 'double precision', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('exit_code', 'integer', (c) => c.notNull())
        .addColumn('report', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
};

MIGRATIONS['0002_drop_redundant_samples_index'] = {
  // The unique (run_id, phase, seq, endpoint) index already serves lookups by run; a second index
  // on run_id only slowed every sample insert (sync writes them by the hundred thousand).
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('samples_run').ifExists().execute();
  },
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export const MIGRATION_NAMES = Object.keys(MIGRATIONS).sort();

/**
 * A store a newer seqpulse migrated: its schema is one this version cannot know how to read or
 * write, and moving it back is no version's to do. (Kysely's migrator calls it "corrupted".)
 */
export class NewerStoreError extends Error {
  constructor(readonly unknown: string[]) {
    super(`migrated by a newer seqpulse (${unknown.join(', ')})`);
  }
}

/** What a user is told about a NewerStoreError, for the store shown as `where`. */
export function newerStoreError(where: string, err: NewerStoreError): StoreError {
  const [first, ...more] = err.unknown;
  const named = more.length === 0 ? `migration ${first}` : `migrations ${err.unknown.join(', ')}`;
  return new StoreError(
    `store ${where} was written by a newer seqpulse: it has ${named}, which seqpulse ${version()} does not know`,
    err,
    'Upgrade seqpulse to use this store, or use another store with this version; the store was left as it is.',
  );
}

/**
 * Migrations a store may lack and still be read as it is (by a command that only reads, which
 * never migrates): they change nothing a query reads. Every other one must be applied first.
 */
const READERS_DO_WITHOUT: readonly string[] = ['0002_drop_redundant_samples_index'];

/**
 * Whether a command that only reads can read a store that recorded the migrations `applied` as it
 * is; a StoreError saying why not (a newer store, an older one that needs upgrading, not a store).
 */
export function checkReadable(applied: readonly string[] | undefined, where: string): void {
  if (applied === undefined) {
    throw new StoreError(`store ${where} is not a seqpulse store (a SQLite database without seqpulse's tables)`, undefined, 'Check --store: it names the file runs were kept in (default .seqpulse/seqpulse.db).');
  }
  const unknown = unknownMigrations(applied);
  if (unknown.length > 0) throw newerStoreError(where, new NewerStoreError(unknown));
  const needed = MIGRATION_NAMES.filter((name) => !applied.includes(name) && !READERS_DO_WITHOUT.includes(name));
  if (needed.length > 0) {
    throw new StoreError(
      `store ${where} was written by an older seqpulse and must be upgraded (${needed.join(', ')}) before a command that only reads can read it`,
      undefined,
      'Run `seqpulse doctor` (or any run) once on it, with write access to the file and its directory: that upgrades it in place.',
    );
  }
}

/** Migrations the store records that this version does not have (a newer seqpulse's), sorted. */
function unknownMigrations(applied: readonly string[]): string[] {
  return applied.filter((name) => !MIGRATION_NAMES.includes(name)).sort();
}

/** The migrations the store records; none for a new store (the migrator makes its table, and reports any other failure). */
export async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  try {
    const { rows } = await sql<{ name: string }>`select name from seqpulse_migrations`.execute(db);
    return rows.map((r) => r.name);
  } catch {
    return [];
  }
}

/**
 * The columns the first migration gives each table. A table of one of these names without them,
 * before that migration is recorded, is not a half-made store of seqpulse's but another program's
 * (a database seqpulse was pointed at by mistake, with its own `runs`).
 */
export const OWN_COLUMNS: Readonly<Record<'runs' | 'samples' | 'verdicts', readonly string[]>> = {
  runs: ['id', 'project', 'env', 'status', 'settings', 'command', 'result', 'deploy_exit_code', 'deploy_signal', 'created_at', 'updated_at', 'deployed_at', 'finished_at'],
  samples: ['id', 'run_id', 'phase', 'seq', 'endpoint', 'scheduled_at', 'taken_at', 'ok', 'http_status', 'error', 'attempts', 'latency_ms', 'metrics'],
  verdicts: ['run_id', 'verdict', 'confidence', 'summary', 'exit_code', 'report', 'created_at'],
};

/** A database holding tables of seqpulse's names that seqpulse did not make: left as it is. */
export class ForeignTablesError extends Error {
  constructor(readonly tables: string[]) {
    super(`it holds ${tables.length === 1 ? 'a table' : 'tables'} ${tables.join(', ')} that seqpulse did not make`);
  }
}

/** What a user is told when a store could not be migrated for a reason of its own (newer, another program's), for the store shown as `where`; undefined for any other error. */
export function migrationRefusal(where: string, err: unknown): StoreError | undefined {
  if (err instanceof NewerStoreError) return newerStoreError(where, err);
  if (err instanceof ForeignTablesError) {
    return new StoreError(
      `store ${where} is not a seqpulse store: ${err.message}`,
      undefined,
      'Point --store (or --to, sync:) at a database or file of its own for seqpulse; nothing was created or changed in this one.',
    );
  }
  return undefined;
}

/** The tables of `OWN_COLUMNS`' names in the schema seqpulse writes to (Postgres: the current schema) that lack one of their columns. */
async function foreignTables(db: Kysely<Database>): Promise<string[]> {
  const tables = await db.introspection.getTables();
  const schema = tables.some((t) => t.schema !== undefined) ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s : undefined;
  return Object.entries(OWN_COLUMNS)
    .filter(([name, columns]) => {
      const table = tables.find((t) => t.name === name && (schema === undefined || t.schema === schema));
      return table !== undefined && columns.some((c) => !table.columns.some((col) => col.name === c));
    })
    .map(([name]) => name);
}

/** Brings the schema to the latest version, or to `target` (tests of upgrades); throws the migration's own error if one fails. */
export async function migrate(db: Kysely<Database>, target?: string): Promise<void> {
  const applied = await appliedMigrations(db);
  const unknown = unknownMigrations(applied);
  if (unknown.length > 0) throw new NewerStoreError(unknown);
  // Before anything is created in it (the migrator's own tables first).
  if (!applied.includes(MIGRATION_NAMES[0]!)) {
    const foreign = await foreignTables(db);
    if (foreign.length > 0) throw new ForeignTablesError(foreign);
  }
  // Up to date: nothing to run, so no lock row to take and no table to create. The migrator does
  // both even then, which a role that may only read (a team's dashboard, an analyst's `history`
  // against the shared Postgres) cannot. A migration is recorded only once it has run whole.
  if (target === undefined && MIGRATION_NAMES.every((name) => applied.includes(name))) return;
  const migrator = new Migrator({ db, provider, migrationTableName: 'seqpulse_migrations', migrationLockTableName: 'seqpulse_migrations_lock' });
  const { error } = target ? await migrator.migrateTo(target) : await migrator.migrateToLatest();
  if (error) throw error;
}
