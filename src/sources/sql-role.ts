/**
 * Which roles the sql source accepts on Postgres: only one that can do nothing but read. A metric
 * query is text from seqpulse.yml, and seqpulse.yml may come from anyone who can open a pull
 * request that CI runs; so what bounds a query is what the server lets the role do, not what the
 * text looks like. A role that could write, reach the server's files or programs, or connect out
 * is refused before any query of the config is sent.
 *
 * The check covers the session's role and every role it could become (`SET ROLE` to any role it is
 * a member of, with or without INHERIT), and asks the server, with its own privilege functions:
 * - role attributes: SUPERUSER, CREATEROLE, CREATEDB, BYPASSRLS, REPLICATION;
 * - membership in a predefined role other than the read-only ones (pg_write_server_files,
 *   pg_execute_server_program, pg_read_server_files, pg_write_all_data, pg_signal_backend,
 *   pg_maintain, pg_database_owner (owning the database)...);
 * - INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER (and MAINTAIN from Postgres 17) on any
 *   table, view, materialized view or foreign table, also through column grants; USAGE or UPDATE
 *   on a sequence (nextval); ownership of any relation, schema, or the database;
 * - CREATE on any schema or on the database (on Postgres 14 and older, PUBLIC has CREATE on the
 *   public schema until it is revoked);
 * - EXECUTE granted on server-side functions that reach files, programs or the server's state
 *   (lo_export, lo_import, pg_read_file, pg_file_write, pg_reload_conf...), on any function of an extension
 *   that connects out (dblink, http, pg_net...), and on functions in an untrusted language (they
 *   run as the server's OS user);
 * - EXECUTE on any SECURITY DEFINER function (outside pg_catalog and information_schema) owned by
 *   a role the session's role is not: it runs with its owner's powers, which a read-only check of
 *   the reader cannot bound (an owner that may write and use dblink deleted rows through one).
 *   The error names the grant to revoke.
 * Left alone, because every role has them and they leave nothing behind: temporary tables (TEMP on
 * the database, PUBLIC by default: they die with seqpulse's session, and every query runs in a
 * read-only transaction anyway), and UPDATE on pg_settings (a SET, undone with the transaction).
 * One thing Postgres lets every role do even read-only: write a logical decoding message into the
 * WAL (pg_logical_emit_message); docs/sources.md says how to revoke it where that matters.
 */

/** Predefined roles that only read: being a member of one of these is fine. */
export const READ_ONLY_PREDEFINED = ['pg_read_all_data', 'pg_read_all_settings', 'pg_read_all_stats', 'pg_stat_scan_tables', 'pg_monitor'];

/** Functions (by name, any schema) that write or read server files, run programs or change the server. */
const SERVER_SIDE = [
  'lo_import', 'lo_export', 'pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file',
  'pg_file_write', 'pg_file_rename', 'pg_file_unlink', 'pg_file_sync', 'pg_logdir_ls',
  'pg_reload_conf', 'pg_rotate_logfile', 'pg_promote', 'pg_switch_wal', 'pg_create_restore_point',
  'pg_backup_start', 'pg_backup_stop', 'pg_start_backup', 'pg_stop_backup', 'pg_log_backend_memory_contexts',
  'pg_create_physical_replication_slot', 'pg_create_logical_replication_slot', 'pg_drop_replication_slot',
  'pg_replication_origin_create', 'pg_replication_origin_drop', 'pg_logical_emit_message',
  'pg_stat_reset', 'pg_stat_reset_shared', 'pg_stat_reset_single_table_counters', 'pg_stat_reset_slru',
  'pg_wal_replay_pause', 'pg_wal_replay_resume', 'pg_import_system_collations',
];

/** Extensions whose functions open connections or requests to elsewhere, outside the read-only transaction. */
const CONNECTS_OUT = ['dblink', 'http', 'pg_net', 'pg_background', 'adminpack', 'plsh'];

const list = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ');

/**
 * One row per problem: (role, what it can do). `$1`-free, read-only, catalog reads only; run once
 * per connection, before any query of the config.
 */
export const ROLE_CHECK = `
WITH me AS (
  SELECT oid, rolname FROM pg_roles WHERE pg_has_role(current_user, oid, 'MEMBER')
), powerful AS (
  SELECT oid FROM pg_roles
  WHERE rolsuper
     OR pg_has_role(oid, 'pg_write_server_files', 'USAGE')
     OR pg_has_role(oid, 'pg_execute_server_program', 'USAGE')
     OR pg_has_role(oid, 'pg_read_server_files', 'USAGE')
), writes AS (
  SELECT CASE WHEN current_setting('server_version_num')::int >= 170000
    THEN 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN'
    ELSE 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER' END AS privileges
)
SELECT who, what FROM (
  SELECT r.rolname AS who, 'has the attribute ' || concat_ws(', ',
      CASE WHEN r.rolsuper THEN 'SUPERUSER' END, CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END,
      CASE WHEN r.rolcreatedb THEN 'CREATEDB' END, CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END,
      CASE WHEN r.rolreplication THEN 'REPLICATION' END) AS what
  FROM pg_roles r JOIN me ON me.oid = r.oid
  WHERE r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls OR r.rolreplication
UNION ALL
  SELECT current_user, 'is a member of ' || rolname FROM me
  WHERE rolname LIKE 'pg\\_%' AND rolname NOT IN (${list(READ_ONLY_PREDEFINED)})
UNION ALL
  SELECT me.rolname, CASE WHEN c.relowner = me.oid THEN 'owns ' ELSE 'can write to ' END || c.oid::regclass::text
  FROM pg_class c CROSS JOIN me CROSS JOIN writes
  -- pg_settings is writable by PUBLIC: an UPDATE of it is a SET, undone with the transaction.
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.oid <> 'pg_catalog.pg_settings'::regclass
    AND (c.relowner = me.oid
      OR has_table_privilege(me.oid, c.oid, writes.privileges)
      OR has_any_column_privilege(me.oid, c.oid, 'INSERT, UPDATE, REFERENCES'))
UNION ALL
  SELECT me.rolname, 'can advance the sequence ' || c.oid::regclass::text
  FROM pg_class c CROSS JOIN me
  WHERE c.relkind = 'S' AND (c.relowner = me.oid OR has_sequence_privilege(me.oid, c.oid, 'USAGE, UPDATE'))
UNION ALL
  SELECT me.rolname, CASE WHEN n.nspowner = me.oid THEN 'owns the schema ' ELSE 'can create objects in the schema ' END || quote_ident(n.nspname)
  FROM pg_namespace n CROSS JOIN me
  WHERE n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
    AND (n.nspowner = me.oid OR has_schema_privilege(me.oid, n.oid, 'CREATE'))
UNION ALL
  SELECT me.rolname, CASE WHEN d.datdba = me.oid THEN 'owns the database ' ELSE 'can create schemas in the database ' END || quote_ident(d.datname)
  FROM pg_database d CROSS JOIN me
  WHERE d.datname = current_database() AND (d.datdba = me.oid OR has_database_privilege(me.oid, d.oid, 'CREATE'))
UNION ALL
  SELECT me.rolname, 'can execute ' || p.oid::regprocedure::text || CASE
      WHEN NOT l.lanpltrusted AND l.lanname NOT IN ('internal', 'c') THEN ' (untrusted language ' || l.lanname || ')'
      WHEN e.extname IS NOT NULL THEN ' (extension ' || e.extname || ')'
      ELSE '' END
  FROM pg_proc p
  JOIN pg_language l ON l.oid = p.prolang
  LEFT JOIN pg_depend dep ON dep.classid = 'pg_proc'::regclass AND dep.objid = p.oid AND dep.deptype = 'e'
  LEFT JOIN pg_extension e ON e.oid = dep.refobjid AND e.extname IN (${list(CONNECTS_OUT)})
  CROSS JOIN me
  -- Server-side functions count when EXECUTE was granted: by default only superusers may run them
  -- (PUBLIC's EXECUTE revoked, so proacl is set); those left to PUBLIC check the caller themselves.
  WHERE ((p.proname IN (${list(SERVER_SIDE)}) AND p.proacl IS NOT NULL)
      OR e.extname IS NOT NULL
      OR (NOT l.lanpltrusted AND l.lanname NOT IN ('internal', 'c')))
    AND has_function_privilege(me.oid, p.oid, 'EXECUTE')
    AND NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = me.oid AND r.rolsuper)
UNION ALL
  -- A SECURITY DEFINER function runs as its owner: unless that is a role the session already is,
  -- calling it does what the owner may. By default every role may (EXECUTE to PUBLIC).
  SELECT me.rolname, 'can execute ' || fn.name || ', a SECURITY DEFINER function that runs as ' || quote_ident(pg_get_userbyid(p.proowner))
      || ' (revoke it: REVOKE EXECUTE ON FUNCTION ' || fn.name || ' FROM ' || coalesce((
        SELECT string_agg(DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END, ', ')
        FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
        WHERE a.privilege_type = 'EXECUTE' AND (a.grantee = 0 OR a.grantee IN (SELECT oid FROM me))), quote_ident(me.rolname)) || ')'
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  CROSS JOIN LATERAL (SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name) fn
  CROSS JOIN me
  WHERE p.prosecdef AND p.proowner NOT IN (SELECT oid FROM me)
    AND (n.nspname NOT IN ('pg_catalog', 'information_schema') OR p.proowner IN (SELECT oid FROM powerful))
    AND has_function_privilege(me.oid, p.oid, 'EXECUTE')
    AND NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = me.oid AND r.rolsuper)
) AS problems
LIMIT 50`;

/** What to do instead, for the error. */
export const READER_HINT =
  'Give the sql source a role that can only read: CREATE ROLE seqpulse_reader LOGIN PASSWORD \'...\'; ' +
  'GRANT CONNECT ON DATABASE <db> TO seqpulse_reader; GRANT USAGE ON SCHEMA <schema> TO seqpulse_reader; ' +
  'GRANT SELECT ON <the tables the queries read> TO seqpulse_reader (or GRANT pg_read_all_data TO seqpulse_reader). ' +
  'Grant it nothing else: no INSERT/UPDATE/DELETE/TRUNCATE, no CREATE, no other role\'s membership; on Postgres 14 and older also ' +
  'REVOKE CREATE ON SCHEMA public FROM PUBLIC. See docs/sources.md (sql: the read-only role).';
