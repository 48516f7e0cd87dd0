/**
 * The store port: what the app layer needs from a store, whatever the database behind it.
 * Implementations (all kysely, src/store/kysely-store.ts): SQLite through better-sqlite3 (the
 * embedded default), SQLite in WebAssembly (the GitHub Action), Postgres (the shared store).
 */
import type { FailOn } from '../core/exit-code.js';
import type { OnEndpointFailure } from '../core/outage.js';
import type { DeployResult, Phase, Rules, RunStatus, Verdict, VerdictReport } from '../core/types.js';
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
  // How the run is observed and judged, as resolved by the command that made it, so `finish` does
  // what `start` was told. Absent on runs stored by an older seqpulse (then `finish` uses its own).
  retries?: number;
  early_exit?: boolean;
  persist?: number;
  on_endpoint_failure?: OnEndpointFailure;
  fail_on?: FailOn;
  dry_run?: boolean;
  baseline?: 'pre' | 'history';
  history_runs?: number;
  /** The rules, merged from the defaults, the config file and its environment overrides. */
  rules?: Rules;
  /** What the source needs besides its type (queries, the server, the command), credentials masked; never a token. */
  source_settings?: StoredSource;
  /** The process working on the run (run, or finish), so a later command can tell a run whose process died. */
  owner?: { host: string; pid: number; since?: string };
  /** HMAC-SHA256 of these settings, one per secret `start` had (app/settings-mac.ts): `finish` trusts them only when one matches. Never shown. */
  mac?: string[];
}

/** A source's settings as stored with a run: as configured, without the token, passwords masked. */
export type StoredSource =
  | { type: 'ds-metrics' }
  | { type: 'prometheus-scrape'; queries: Record<string, string> }
  | { type: 'prometheus'; url: string | undefined; queries: Record<string, string> }
  | { type: 'sql'; url: string | undefined; queries: Record<string, string>; max_rows: number; budget: number | undefined }
  | { type: 'command'; argv: string[] };

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

/** Statuses of a run on its way to a verdict; every other status is written by `conclude` (with the verdict) or `abandonRun`. */
export type OpenStatus = 'started' | 'deploying' | 'observing';
/** Statuses that come with a verdict, written together with it. */
export type ConcludedStatus = 'finished' | 'deploy_failed' | 'interrupted';
/** Statuses that should have a verdict: a run in one of them without one was cut off by an older seqpulse between two writes. */
export const CONCLUDED_STATUSES: readonly ConcludedStatus[] = ['finished', 'deploy_failed', 'interrupted'];
export const OPEN_STATUSES: readonly OpenStatus[] = ['started', 'deploying', 'observing'];

type RunFields = Partial<Pick<RunRecord, 'result' | 'deploy_exit_code' | 'deploy_signal' | 'deployed_at' | 'settings'>>;
export type RunPatch = RunFields & { status?: OpenStatus };
/** How a run ended: written in one transaction with its verdict. */
export type FinalPatch = RunFields & { status: ConcludedStatus; finished_at: string };

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
  /**
   * Updates the run; with `from`, only while its status is still `from` (a claim: of two commands
   * that read the same status, one wins). Returns whether it did.
   */
  updateRun(id: string, patch: RunPatch, from?: RunStatus): Promise<boolean>;
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
  /**
   * Ends a run: its final state and its verdict in one transaction, so a run is never `finished`
   * (or `interrupted`, `deploy_failed`) without its verdict. Returns false, writing nothing, when
   * the run already has a verdict (a concurrent or repeated finish stored one first).
   */
  conclude(id: string, patch: FinalPatch, report: VerdictReport): Promise<boolean>;
  /**
   * Marks a run `abandoned` (at `at`) if it is still `from` and has no verdict; returns whether it
   * did. Conditional, so a run that concluded in the meantime is never overwritten.
   * `unchangedSince`: only if the run was last updated then, and its `updated_at` is kept: the
   * settling is a guess by someone other than its owner, so a copy of the run its owner pushes
   * later (concluded after all) still replaces it.
   */
  abandonRun(id: string, from: RunStatus, at: string, unchangedSince?: string): Promise<boolean>;
  /** Stores the verdict once. Returns false, storing nothing, when the run already has one. Fixtures and imports: a run's own verdict is written by `conclude`. */
  saveVerdict(report: VerdictReport): Promise<boolean>;
  getVerdict(runId: string): Promise<VerdictReport | undefined>;
  listRuns(filter: HistoryFilter): Promise<RunSummary[]>;
  /** Inserts the run, or updates it when this copy is at least as new (`updated_at`): what sync writes. */
  upsertRun(run: RunRecord): Promise<void>;
  /**
   * Several upsertRun in one transaction, with verdicts of those runs (or of runs already here),
   * inserted once in the same transaction: a run copied with a final status always lands with its
   * verdict. Returns how many verdicts were new.
   */
  upsertRuns(runs: readonly RunRecord[], verdicts?: readonly VerdictRow[]): Promise<number>;
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
  /**
   * Runs created since `since` that have no verdict yet and are not abandoned: those still between
   * start and verdict (started, deploying, observing), and any left with a final status but no
   * verdict by an older seqpulse.
   */
  unsettledRuns(since: string): Promise<RunRecord[]>;
  /**
   * Deletes the oldest `batch` runs created before `before` (ISO), with their samples and verdicts,
   * in one transaction: all of them or none (a store that keeps one, through a trigger or rule, is
   * an error and the batch is rolled back). `done` when no run older than `before` is left. One
   * batch is one operation, with its own deadline: a long retention sweep is many (app/prune.ts).
   * Only runs whose `created_at` is a time as seqpulse writes it (`runsOfUnknownAge`) are ever deleted.
   */
  pruneBatch(before: string, batch: number): Promise<{ runs: number; samples: number; done: boolean }>;
  /**
   * Runs whose `created_at` is not a time as seqpulse writes it (Date#toISOString, UTC:
   * 2026-01-18T12:00:00.000Z), written by something else: only such times compare as text in time
   * order, so how old these runs are cannot be told by the store. How many, and the first `limit` by id.
   */
  runsOfUnknownAge(limit: number): Promise<{ total: number; runs: { id: string; created_at: string }[] }>;
  /** Runs in id order after `after` (null: from the start), to walk a whole store in pages. */
  pageRuns(after: string | null, limit: number): Promise<RunRecord[]>;
  /** For each of the ids stored here: what sync compares of it with another store's copy (SyncState). */
  syncState(ids: readonly string[]): Promise<Map<string, SyncState>>;
  close(): Promise<void>;
}

/**
 * What sync reads of a run in each store to tell what the target lacks, and whether the target's
 * copy is the same run at all (app/sync.ts): a few columns and aggregates, never the samples or
 * the report themselves, so a repeated sync of a large store stays cheap. Text as stored.
 */
export interface SyncState {
  updated_at: string;
  /** Fixed when the run is made and never updated: another value is another run under the same id. */
  project: string;
  env: string;
  created_at: string;
  command: string | null;
  samples: number;
  /** The lowest and highest sample id (null without samples): with the count, which samples these are. */
  sample_ids: { first: string; last: string } | null;
  /** The verdict's headline columns and the report's length, as one string; null without a verdict. */
  verdict: string | null;
}
