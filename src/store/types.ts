/**
 * The store port: what the app layer needs from a store, whatever the database behind it.
 * Implementations (all kysely, src/store/kysely-store.ts): SQLite through better-sqlite3 (the
 * embedded default), SQLite in WebAssembly (the GitHub Action), Postgres (the shared store).
 */
import type { DeployResult, Phase, RunStatus, Verdict, VerdictReport } from '../core/types.js';
import type { SamplesTable, VerdictsTable } from './schema.js';

/** Non-secret settings a run was made with; kept so `finish` and `analyze <id>` can reuse them. Never holds the secret. */
export interface RunSettings {
  /** What was sampled, credentials masked: the endpoints, or the Prometheus server, database or command. */
  endpoints: string[];
  /** The source type; absent on runs stored before there was a choice (ds-metrics). */
  source?: string;
  interval_ms: number;
  window_ms: number;
  pre_samples: number;
  timeout_ms: number;
  /** POST time set aside as the settle period; null = a tenth of the window. */
  settle_ms?: number | null;
  /** Set when the window was cut short by an early rollback: POST samples taken by then. */
  early_exit_after?: number;
  /** The process working on the run (run, or finish), so a later command can tell a run whose process died. */
  owner?: { host: string; pid: number };
}

export interface RunRecord {
  id: string;
  project: string;
  env: string;
  status: RunStatus;
  settings: RunSettings;
  /** Deploy argv (redacted), null for start/finish runs. */
  command: string[] | null;
  result: DeployResult | null;
  deploy_exit_code: number | null;
  /** Signal name when the deploy command was killed by one. */
  deploy_signal: string | null;
  created_at: string;
  updated_at: string;
  /** When the deploy ended and POST sampling began (the "deploy moment"). */
  deployed_at: string | null;
  finished_at: string | null;
}

export type RunPatch = Partial<Pick<RunRecord, 'status' | 'result' | 'deploy_exit_code' | 'deploy_signal' | 'deployed_at' | 'finished_at' | 'settings'>>;

/** One raw response (or failure) of one endpoint at one tick of the schedule. Append-only. */
export interface StoredSample {
  id: string;
  run_id: string;
  phase: Phase;
  /** Tick index within the phase (0-based). */
  seq: number;
  endpoint: string;
  scheduled_at: string;
  taken_at: string;
  ok: boolean;
  http_status: number | null;
  error: string | null;
  attempts: number;
  latency_ms: number | null;
  /** Every field the app reported, numeric or not; null when the request failed. */
  metrics: Record<string, unknown> | null;
}

/** Where a sample sits in its run: unique, and the order of `samplesAfter`. */
export type SampleKey = Pick<StoredSample, 'phase' | 'seq' | 'endpoint'>;

/** A sample as every store keeps it: metrics as JSON text, `ok` as 0/1. */
export type SampleRow = SamplesTable;
/** A verdict as every store keeps it: the report as JSON text, with its headline fields beside it for queries. */
export type VerdictRow = VerdictsTable;

export interface RunSummary {
  id: string;
  project: string;
  env: string;
  status: RunStatus;
  verdict: Verdict | null;
  confidence: number | null;
  result: DeployResult | null;
  created_at: string;
  finished_at: string | null;
}

export interface HistoryFilter {
  project?: string;
  env?: string;
  verdict?: Verdict;
  /** ISO timestamp: runs created at or after it. */
  since?: string;
  limit?: number;
}

export interface Store {
  createRun(run: RunRecord): Promise<void>;
  updateRun(id: string, patch: RunPatch): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Runs whose id starts with the prefix (for short ids typed by people), newest first, at most `limit`. */
  findRunsByPrefix(prefix: string, limit?: number): Promise<RunRecord[]>;
  /** Idempotent: a sample whose (run_id, phase, seq, endpoint) is already stored is left as it is. */
  addSamples(samples: StoredSample[]): Promise<void>;
  getSamples(runId: string): Promise<StoredSample[]>;
  /**
   * One page of a run's samples in (phase, seq, endpoint) order: up to `limit` of them, after
   * `after` (from the start without it). A tick's samples come next to each other, so the verdict
   * of a long window is built page by page (`samplePages`) without holding every sample at once.
   */
  samplesAfter(runId: string, after: SampleKey | undefined, limit: number): Promise<StoredSample[]>;
  /**
   * The samples of several runs at once, as stored, in the same order as getSamples per run: sync
   * copies them between stores in bulk without decoding their metrics.
   */
  sampleRowsOf(runIds: readonly string[]): Promise<SampleRow[]>;
  /** addSamples for rows as sampleRowsOf returns them. */
  addSampleRows(rows: readonly SampleRow[]): Promise<void>;
  /** Stores the verdict once. Returns false, storing nothing, when the run already has one. */
  saveVerdict(report: VerdictReport): Promise<boolean>;
  getVerdict(runId: string): Promise<VerdictReport | undefined>;
  listRuns(filter: HistoryFilter): Promise<RunSummary[]>;
  /** Inserts the run, or updates it when this copy is at least as new (`updated_at`): what sync writes. */
  upsertRun(run: RunRecord): Promise<void>;
  /** Several upsertRun in one transaction. */
  upsertRuns(runs: readonly RunRecord[]): Promise<void>;
  /** Several saveVerdict in one statement; returns how many were new. */
  saveVerdicts(reports: readonly VerdictReport[]): Promise<number>;
  /** The verdicts of several runs, as stored (sync copies them without decoding the report). */
  verdictRowsOf(runIds: readonly string[]): Promise<VerdictRow[]>;
  /** saveVerdicts for rows as verdictRowsOf returns them. */
  addVerdictRows(rows: readonly VerdictRow[]): Promise<number>;
  /**
   * Other runs of the same project and env whose time overlaps [run.created_at, until]: finished
   * after this run began, or not finished and begun at most a day before it.
   */
  overlapping(run: Pick<RunRecord, 'id' | 'project' | 'env' | 'created_at'>, until: string): Promise<string[]>;
  /** Runs created since `since` that are still between start and verdict (started, deploying, observing). */
  activeRuns(since: string): Promise<RunRecord[]>;
  /** Deletes runs created before `before` (ISO), with their samples and verdicts, `batch` runs per transaction. */
  prune(before: string, batch?: number): Promise<{ runs: number; samples: number }>;
  /** Runs in id order after `after` (null: from the start), to walk a whole store in pages. */
  pageRuns(after: string | null, limit: number): Promise<RunRecord[]>;
  /** For each of the ids stored here: its last update, how many samples it has, whether it has a verdict. */
  syncState(ids: readonly string[]): Promise<Map<string, SyncState>>;
  close(): Promise<void>;
}

export interface SyncState {
  updated_at: string;
  samples: number;
  verdict: boolean;
}
