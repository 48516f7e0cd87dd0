/**
 * Credentials of the Prometheus sources: a bearer token (from SEQPULSE_SOURCE_TOKEN) or basic auth
 * in the URL's userinfo. One place builds the header and one scrubs every text that leaves.
 */
import { redactText, tokenSecrets, urlSecrets } from '../../redact.js';
import type { ParsedEndpoint } from '../endpoint.js';

/** How both Prometheus sources reach their server or targets. */
export interface PrometheusClientOptions {
  /** Bearer token for `Authorization: Bearer`; basic auth comes as URL userinfo (user:pass@). Never logged, never in results. */
  token?: string;
  timeoutMs: number;
  retries: number;
  userAgent: string;
  /** Skip TLS certificate verification (--insecure). */
  insecure?: boolean;
}

/** The `Authorization` header: the token wins over URL userinfo when both are given. */
export function authorization(endpoint: ParsedEndpoint, token: string | undefined): Record<string, string> {
  if (token) return { authorization: `Bearer ${token}` };
  return endpoint.authorization ? { authorization: endpoint.authorization } : {};
}

/** Masks the token and every URL credential in `text`, in every form they travel in (redact.ts), and URL userinfo in general. */
export function scrubber(token: string | undefined, urls: readonly string[]): (text: string) => string {
  const secrets = tokenSecrets(token);
  for (const raw of urls) {
    secrets.push(...urlSecrets(raw));
    try {
      // The user name too, even beside a password: some proxies take a token as the user.
      const { username } = new URL(raw);
      if (username) secrets.push(username);
    } catch {
      // Not a URL: parseEndpoint has already refused it.
    }
  }
  return (text) => redactText(text, secrets);
}

export const AUTH_HINT = {
  what: 'the bearer token (SEQPULSE_SOURCE_TOKEN) or the user:password in the URL',
  hint: 'Set SEQPULSE_SOURCE_TOKEN to a token the server accepts, or put user:password@ in the URL for basic auth.',
};
