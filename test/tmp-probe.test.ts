import pg from 'pg';
import { inject, it } from 'vitest';
it('probe', async () => {
  const url = inject('pgUrl');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query("create role tmp_r login password 'x'").catch((e) => console.log(e.message));
  const u = new URL(url); u.username = 'tmp_r'; u.password = 'x';
  const r = new pg.Client({ connectionString: u.toString(), options: '-c default_transaction_read_only=on' });
  await r.connect();
  for (const q of ["select pg_logical_emit_message(false, 'x', 'y')", "select pg_drop_replication_slot('x')", "select pg_import_system_collations('public'::regnamespace)", "select pg_create_physical_replication_slot('x')", "select proname, proacl::text from pg_proc where proname in ('pg_logical_emit_message','pg_drop_replication_slot','pg_import_system_collations','lo_export','pg_read_file','pg_reload_conf','pg_terminate_backend','pg_stat_reset','pg_create_restore_point')", "select set_config('statement_timeout','0',false)"]) {
    await r.query('begin read only');
    try { const x = await r.query(q); console.log(q, '->', JSON.stringify(x.rows)); } catch (e) { console.log(q, '-> ERR', (e as Error).message); } finally { await r.query('rollback'); }
  }
  await r.end(); await c.query('drop role tmp_r'); await c.end();
});
