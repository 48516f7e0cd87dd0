/**
 * Table types for kysely. Portable on purpose (the shared Postgres store comes behind the same
 * port): text ids, ISO-8601 text timestamps, JSON as text, booleans as 0/1.
 */
export interface RunsTable {
  id: string;
  project: string;
  env: string;
  status: string;
  settings: string;
  command: string | null;
  result: string | null;
  deploy_exit_code: number | null;
  deploy_signal: string | null;
  created_at: string;
  updated_at: string;
  deployed_at: string | null;
  finished_at: string | null;
}

export interface SamplesTable {
  id: string;
  run_id: string;
  phase: string;
  seq: number;
  endpoint: string;
  scheduled_at: string;
  taken_at: string;
  ok: number;
  http_status: number | null;
  error: string | null;
  attempts: number;
  latency_ms: number | null;
  metrics: string | null;
}

export interface VerdictsTable {
  run_id: string;
  verdict: string | null;
  confidence: number;
  summary: string;
  exit_code: number;
  report: string;
  created_at: string;
}

export interface Database {
  runs: RunsTable;
  samples: SamplesTable;
  verdicts: VerdictsTable;
}
