/**
 * The package's library API: the pure judge, its types, and the signing helpers apps use to
 * verify seqpulse's requests.
 */
export { analyze } from './core/analyze.js';
export { PhaseColumns } from './core/columns.js';
export { DEFAULT_RULES } from './core/rules.js';
export { exitCodeFor } from './core/exit-code.js';
export type * from './core/types.js';
export {
  canonicalString,
  Headers,
  MAX_CLOCK_SKEW_SECONDS,
  newNonce,
  NonceCache,
  signatureHeader,
  signRequest,
  verifyRequest,
  type SignatureInput,
  type VerifyFailure,
  type VerifyOptions,
  type VerifyResult,
} from './signing/signature.js';
export { parseDuration } from './config/duration.js';
