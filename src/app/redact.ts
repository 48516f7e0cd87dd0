/** Secrets never leave: the HMAC secret and URL passwords are masked before anything is printed or stored. */
export const MASK = '***';

/** `https://user:pass@host/x` -> `https://user:***@host/x`; text that is not a URL is returned as is. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (!url.password && !url.username) return value;
    if (url.password) url.password = MASK;
    else url.username = MASK;
    return url.toString();
  } catch {
    return value;
  }
}

/** Masks every occurrence of every secret, and passwords inside URLs. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join(MASK);
  return out.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+):([^\s/@]+)@/gi, `$1$2:${MASK}@`);
}

export function redactArgv(argv: readonly string[], secrets: readonly string[]): string[] {
  return argv.map((arg) => redactText(arg, secrets));
}
