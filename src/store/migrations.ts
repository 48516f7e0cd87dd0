/**
 * Schema migrations, inline (a bundle carries no migration files), versioned, forward-only, run on
 * open by kysely's Migrator, which records them in its own table.
 */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './schema.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001_runs_samples_verdicts': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('runs')
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
      await db.schema.createIndex('runs_project_env_created').on('runs').columns(['project', 'env', 'created_at']).execute();
      await db.schema.createIndex('runs_created').on('runs').column('created_at').execute();

      await db.schema
        .createTable('samples')
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
      await db.schema.createIndex('samples_run').on('samples').column('run_id').execute();

      await db.schema
        .createTable('verdicts')
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

/** Brings the schema to the latest version, or to `target` (tests of upgrades); throws the migration's own error if one fails. */
export async function migrate(db: Kysely<Database>, target?: string): Promise<void> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'seqpulse_migrations', migrationLockTableName: 'seqpulse_migrations_lock' });
  const { error } = target ? await migrator.migrateTo(target) : await migrator.migrateToLatest();
  if (error) throw error;
}
