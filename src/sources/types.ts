/**
 * The source port: how one tick of the schedule turns into raw per-endpoint results.
 */
import type { Phase } from '../core/types.js';

export interface CollectRequest {
  phase: Phase;
  deploymentId: string;
  /** Epoch ms after which no new attempt starts and in-flight ones are abandoned (retries live inside this budget). */
  deadline: number;
  /** Aborts everything in flight (e.g. on SIGINT). */
  signal?: AbortSignal;
}

export interface EndpointResult {
  /** The endpoint as configured, with any userinfo redacted. */
  endpoint: string;
  ok: boolean;
  /** The app's `metrics` object, every field as reported. */
  metrics?: Record<string, unknown>;
  error?: string;
  http_status?: number;
  attempts: number;
  latency_ms?: number;
  /** ISO time the final attempt completed. */
  taken_at: string;
}

/** PRE from the recent past, for sources that keep history (a Prometheus server): no waiting for a baseline. */
export interface BackfillRequest {
  /** How far back from `now` (epoch ms). */
  rangeMs: number;
  /** Time between two samples (the run's interval). */
  stepMs: number;
  now: number;
  deadline: number;
  signal?: AbortSignal;
}

export interface MetricSource {
  /** One sample of every endpoint, concurrently. Throws AuthError when an endpoint answers 401/403. */
  collect(req: CollectRequest): Promise<EndpointResult[]>;
  /** Optional: samples over [now - range, now], oldest first, one list of per-endpoint results per step; `taken_at` is the step's time. */
  backfill?(req: BackfillRequest): Promise<EndpointResult[][]>;
  close(): Promise<void>;
}
