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

export interface MetricSource {
  /** One sample of every endpoint, concurrently. Throws AuthError when an endpoint answers 401/403. */
  collect(req: CollectRequest): Promise<EndpointResult[]>;
  close(): Promise<void>;
}
