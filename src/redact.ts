/**
 * Secrets never leave: one place that knows every form a secret can take, and masks them before
 * anything is printed, logged or stored. A secret travels in more forms than it was given in: a
 * URL's password percent-encoded (upper- or lowercase hex, or form-encoded) and decoded,
 * `user:password` in base64 (an `Authorization: Basic` header that a server or proxy may echo back
 * in its answer) or base64url, a token after `Bearer `, a token in a URL's query string
 * (`?access_token=`, `&api_key=`, a presigned URL's `X-Amz-Signature`). Each is masked wherever
 * the plain secret is.
 */
export const MASK = '***';

/**
 * Masks the credentials of every URL in `text`: the userinfo (`http://u:p@h/` -> `http://***@h/`;
 * the user name goes too: tokens are often passed as a bare user name), and the value of every
 * query parameter named like a credential (`?token=abc` -> `?token=***`).
 */
export function redactUserinfo(text: string): string {
  // Greedy up to the last `@` before the path, the way URL parsers split userinfo from host; or,
  // where a `/`, `?` or `#` comes first (a generated password with one of them, not percent-encoded,
  // which a driver may still accept), up to the last `@` of the word, when a `user:` came before
  // it (within 256 characters, and not past another `://`: each scheme's scan then ends where the
  // next begins, and a text made of schemes is still read in linear time). A scheme starts where no
  // scheme character precedes it: without that, a long run of letters from outside (a metric name)
  // is rescanned from every position, in quadratic time.
  const out = text.replace(/(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)(?:[^\s/?#]*@|[^\s@/?#]*:(?:(?!:\/\/)\S){0,256}@)/gi, `$1${MASK}@`);
  if (!out.includes('=')) return out;
  return out.replace(QUERY_PARAM, (all, sep: string, name: string, value: string) => (value !== '' && value !== MASK && credentialName(name) ? `${sep}${name}=${MASK}` : all));
}

/**
 * A URL as messages show it: its credentials masked in every form, also where it does not parse (a
 * password with a space: `postgres://u:pass word@h/db` is refused by URL parsers, and shown whole).
 */
export function redactUrl(url: string): string {
  return redactText(url, urlSecrets(url));
}

/** `?name=value` or `&name=value`: the value runs to the next parameter, fragment, space or quote. */
const QUERY_PARAM = /([?&])([^=&#\s?]+)=([^&#\s"'<>]*)/g;

/**
 * Every form of one secret that can appear in a text: as given, percent-decoded, percent-encoded
 * (as encodeURIComponent does, with lowercase hex as other encoders do, and form-encoded), and in
 * base64 (padded or not) and base64url.
 */
export function secretForms(secret: string): string[] {
  if (secret === '') return [];
  const decoded = safeDecode(secret);
  const encoded = [encodeURIComponent(decoded), new URLSearchParams({ v: decoded }).toString().slice(2)];
  return unique([secret, decoded, ...encoded, ...encoded.map(lowerHex), ...base64Forms(decoded)]);
}

/**
 * The secrets a URL carries: its password (or its user name when that is all it has, as with a
 * token) in every form, the `Authorization: Basic` value built from its userinfo, and the values
 * of query parameters named like credentials.
 */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const loose = looseUserinfo(url);
    return loose ? userinfoSecrets(loose.username, loose.password) : [];
  }
  const { username, password } = parsed;
  // Named like a credential is a guess: a short value (`?auth=1`, `&session=true`) is masked in the URL, not everywhere it appears.
  const inQuery = [...parsed.searchParams].filter(([name, value]) => value.length >= MIN_QUERY_SECRET && credentialName(name)).flatMap(([, value]) => secretForms(value));
  if (!username && !password) return unique(inQuery);
  return unique([...userinfoSecrets(username, password), ...inQuery]);
}

/** The password (or a token-only user name) in every form, and the `Authorization: Basic` value built from both. */
function userinfoSecrets(username: string, password: string): string[] {
  return unique([...secretForms(password || username), ...base64Forms(`${safeDecode(username)}:${safeDecode(password)}`)]);
}

/**
 * The credentials of a URL that does not parse (a password with `#`, `/`, `?` or a space, not
 * percent-encoded): everything between the scheme and its last `@` is the userinfo, as a driver that
 * still connects with it reads it.
 */
function looseUserinfo(url: string): { username: string; password: string } | undefined {
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/(.*)@/is.exec(url.trim())?.[1];
  if (!userinfo) return undefined;
  const colon = userinfo.indexOf(':');
  return colon < 0 ? { username: userinfo, password: '' } : { username: userinfo.slice(0, colon), password: userinfo.slice(colon + 1) };
}

/** Shortest query parameter value taken for a secret wherever it appears (a token is longer). */
const MIN_QUERY_SECRET = 6;

/** Words that make a query parameter's value a credential, wherever they appear in its name (`api_key`, `accessToken`, `X-Amz-Signature`). */
const CREDENTIAL_WORDS = new Set([
  'token', 'key', 'secret', 'password', 'passwd', 'pwd', 'pw', 'pass', 'sig', 'signature', 'auth', 'authorization', 'credential', 'credentials', 'session', 'sessionid', 'jwt',
  'apikey', 'accesskey', 'secretkey', 'privatekey', 'apitoken', 'accesstoken', 'authtoken', 'refreshtoken', 'idtoken', 'clientsecret', 'authkey', 'sharedkey', 'signingkey',
  'hmac', 'bearer', 'cookie',
]);

/** Words that make a name a credential's wherever they stand in it, run together with others (`sslpassword`, `dbpasswd`, `gitlabtoken`). */
const CREDENTIAL_STEMS = ['password', 'passwd', 'passphrase', 'passcode', 'secret', 'token', 'credential', 'apikey', 'privatekey'];

/**
 * Whether a query parameter's name says its value is a credential: one of its words (split at
 * punctuation and camelCase) is, or one of them holds a credential's stem.
 */
function credentialName(name: string): boolean {
  const words = safeDecode(name).replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/);
  return words.some((w) => CREDENTIAL_WORDS.has(w) || CREDENTIAL_STEMS.some((stem) => w.includes(stem)));
}

/**
 * Masks every occurrence of every secret, in each of its forms, and URL credentials. Not where the
 * secret's word is a URL's scheme (`postgres://postgres:postgres@db/app`: the scheme is the
 * driver's, not the password, whose place in the URL is masked anyway). And a text cut short with an
 * ellipsis (`shorten`) just as a secret began: what is left of the secret before the `…` is masked
 * too, whoever cut it before it got here.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  const forms = expand(secrets);
  for (const secret of forms) if (out.includes(secret)) out = out.replace(new RegExp(`${escapeRegExp(secret)}(?![A-Za-z0-9+.-]*://)`, 'g'), MASK);
  if (out.includes(ELLIPSIS)) out = maskCutSecrets(out, forms);
  return redactUserinfo(out);
}

const ELLIPSIS = '…';

/** The start of a secret (MIN_TEXT_SECRET characters or more) right before an ellipsis. */
function maskCutSecrets(text: string, forms: readonly string[]): string {
  let out = text;
  for (const secret of forms) {
    for (let k = secret.length - 1; k >= MIN_TEXT_SECRET; k--) {
      const cut = `${secret.slice(0, k)}${ELLIPSIS}`;
      if (out.includes(cut)) out = out.split(cut).join(`${MASK}${ELLIPSIS}`);
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A bearer token's secrets: the token, and the header value a server may echo back encoded (`Bearer <token>` in base64). */
export function tokenSecrets(token: string | undefined): string[] {
  return token ? [token, `Bearer ${token}`] : [];
}

/** An error's message with a connection string's credentials masked, in URLs and bare (drivers sometimes echo them). */
export function redactError(err: unknown, url: string): string {
  const text = err instanceof Error ? err.message : String(err);
  return redactText(text, urlSecrets(url));
}

/**
 * Shortest form of a secret masked wherever it appears in free text. A shorter one (a one-letter
 * password) would mask every such letter of every message, garbling it and pointing at the secret
 * anyway; it is still masked where it stands in a URL (userinfo, credential query parameters).
 */
export const MIN_TEXT_SECRET = 4;

/** The secrets with all their forms, longest first: a secret that contains another is masked whole. */
function expand(secrets: readonly string[]): string[] {
  return unique(secrets.flatMap(secretForms))
    .filter((form) => form.length >= MIN_TEXT_SECRET)
    .sort((a, b) => b.length - a.length);
}

/** base64 with and without its padding, and base64url (unpadded, as JWTs and URLs carry it). */
function base64Forms(text: string): string[] {
  const b64 = Buffer.from(text, 'utf8').toString('base64');
  return [b64, b64.replace(/=+$/, ''), Buffer.from(text, 'utf8').toString('base64url')];
}

function lowerHex(encoded: string): string {
  return encoded.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
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
