/** What the app layer needs from the outside world, built once per command by the CLI (or the Action). */
import type { Logger } from '../output/logger.js';
import type { Progress } from '../output/progress.js';
import type { Interrupts } from '../runner/signals.js';
import type { Clock } from '../sampling/clock.js';
import type { MetricSource } from '../sources/types.js';
import type { Store } from '../store/types.js';
import type { SharedPeer } from './shared.js';

export interface AppIO {
  store: Store;
  /** The team's shared store when runs are synced to it (`--sync`): announces runs, finds concurrent deploys. */
  shared?: SharedPeer;
  /** Created lazily: commands that only read the store never open sockets. */
  source: () => MetricSource;
  clock: Clock;
  logger: Logger;
  progress: Progress;
  interrupts: Interrupts;
  /** Filled as the run goes, for seqpulse's own metrics (--pushgateway). */
  stats?: { analysisSeconds?: number };
  /**
   * Where the deploy command's output goes: as it is (its stdout on stderr when stdout carries
   * JSON), or, when the logs are JSON lines, line by line into the log as `deploy_output` events.
   */
  deployStdout: 'inherit' | 'stderr' | 'log';
}
