/**
 * Endpoint URLs as configured vs. as sent: what gets signed, what gets shown, and the credentials
 * a URL may carry (`https://user:pass@host/ds-metrics`), which must never be shown.
 */
import { UsageError } from '../errors.js';
import { redactUrl } from '../redact.js';

export interface ParsedEndpoint {
  /** The endpoint as configured, credentials (userinfo, credential-named query parameters) replaced by `***`: the only form put in results, errors and logs. */
  display: string;
  /** `scheme://host[:port]`, without userinfo. */
  origin: string;
  /** Path and query exactly as sent, which is also exactly what is signed (SPEC §4). */
  target: string;
  /** `Basic ...` built from the URL's userinfo, for apps behind a proxy that wants it. */
  authorization?: string;
}

/** Throws UsageError for anything that is not an absolute http(s) URL. */
export function parseEndpoint(raw: string): ParsedEndpoint {
  const display = redactUrl(raw);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`invalid endpoint URL: ${display}`, 'Use an absolute URL such as http://127.0.0.1:8080/ds-metrics');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`invalid endpoint URL: ${display} (only http and https are supported)`);
  }
  const parsed: ParsedEndpoint = { display, origin: url.origin, target: `${url.pathname}${url.search}` };
  if (url.username || url.password) {
    const credentials = `${decode(url.username)}:${decode(url.password)}`;
    parsed.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
  }
  return parsed;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
