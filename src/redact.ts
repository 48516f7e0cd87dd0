/**
 * Secrets never leave: one place that masks the HMAC secret and URL credentials before anything is
 * printed, logged or stored.
 */
export const MASK = '***';

/**
 * Replaces the userinfo of every URL in `text` with `***` (`http://u:p@h/` -> `http://***@h/`).
 * The user name goes too: tokens are often passed as a bare user name.
 */
export function redactUserinfo(text: string): string {
  // Greedy up to the last `@` before the path, the way URL parsers split userinfo from host.
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi, `$1${MASK}@`);
}

/** Masks every occurrence of every secret, and URL credentials. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join(MASK);
  return redactUserinfo(out);
}

/** An error's message with a connection string's credentials masked, in URLs and bare (drivers sometimes echo them). */
export function redactError(err: unknown, url: string): string {
  const text = err instanceof Error ? err.message : String(err);
  const secrets: string[] = [];
  try {
    const { password } = new URL(url);
    if (password) secrets.push(password, decodeURIComponent(password));
  } catch {
    // Not a URL: only URL-shaped credentials in the message are masked.
  }
  return redactText(text, secrets);
}
