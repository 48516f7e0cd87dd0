/**
 * Secrets never leave: one place that knows every form a secret can take, and masks them before
 * anything is printed, logged or stored. A secret travels in more forms than it was given in: a
 * URL's password percent-encoded and decoded, `user:password` in base64 (an `Authorization: Basic`
 * header that a server or proxy may echo back in its answer), a token after `Bearer `. Each is
 * masked wherever the plain secret is.
 */
export const MASK = '***';

/**
 * Replaces the userinfo of every URL in `text` with `***` (`http://u:p@h/` -> `http://***@h/`).
 * The user name goes too: tokens are often passed as a bare user name.
 */
export function redactUserinfo(text: string): string {
  // Greedy up to the last `@` before the path, the way URL parsers split userinfo from host. A
  // scheme starts where no scheme character precedes it: without that, a long run of letters from
  // outside (a metric name) is rescanned from every position, in quadratic time.
  return text.replace(/(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi, `$1${MASK}@`);
}

/** Every form of one secret that can appear in a text: as given, percent-decoded, percent-encoded, base64. */
export function secretForms(secret: string): string[] {
  if (secret === '') return [];
  const decoded = safeDecode(secret);
  return unique([secret, decoded, encodeURIComponent(decoded), base64(decoded)]);
}

/**
 * The secrets a URL carries: its password (or its user name when that is all it has, as with a
 * token) in every form, and the `Authorization: Basic` value built from its userinfo.
 */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const { username, password } = parsed;
  if (!username && !password) return [];
  const basic = `${safeDecode(username)}:${safeDecode(password)}`;
  return unique([...secretForms(password || username), base64(basic)]);
}

/** Masks every occurrence of every secret, in each of its forms, and URL credentials. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of expand(secrets)) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return redactUserinfo(out);
}

/** An error's message with a connection string's credentials masked, in URLs and bare (drivers sometimes echo them). */
export function redactError(err: unknown, url: string): string {
  const text = err instanceof Error ? err.message : String(err);
  return redactText(text, urlSecrets(url));
}

/** The secrets with all their forms, longest first: a secret that contains another is masked whole. */
function expand(secrets: readonly string[]): string[] {
  return unique(secrets.flatMap(secretForms)).sort((a, b) => b.length - a.length);
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))];
}
