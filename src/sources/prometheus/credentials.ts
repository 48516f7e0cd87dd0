/**
 * Credentials of the Prometheus sources: a bearer token (from SEQPULSE_SOURCE_TOKEN) or basic auth
 * in the URL's userinfo. One place builds the header and one scrubs every text that leaves.
 */
import { redactText } from '../../redact.js';
import type { ParsedEndpoint } from '../endpoint.js';

/** The `Authorization` header: the token wins over URL userinfo when both are given. */
export function authorization(endpoint: ParsedEndpoint, token: string | undefined): Record<string, string> {
  if (token) return { authorization: `Bearer ${token}` };
  return endpoint.authorization ? { authorization: endpoint.authorization } : {};
}

/** Masks the token and every URL password in `text` (and URL userinfo in general). */
export function scrubber(token: string | undefined, urls: readonly string[]): (text: string) => string {
  const secrets: string[] = token ? [token] : [];
  for (const raw of urls) {
    try {
      const { username, password } = new URL(raw);
      for (const part of [username, password]) if (part) secrets.push(part, safeDecode(part));
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

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
