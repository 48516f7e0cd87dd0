/** Every form a secret travels in is masked where the secret is (redact.ts). */
import { describe, expect, it } from 'vitest';
import { shorten } from '../src/output/terminal.js';
import { redactError, redactText, redactUrl, redactUserinfo, secretForms, tokenSecrets, urlSecrets } from '../src/redact.js';

describe('derived secrets', () => {
  it('a URL password is masked as given, percent-decoded, percent-encoded, and inside the Basic header', () => {
    const url = 'http://scraper:p%40ss%2Fw0rd!@prom:9090';
    const basic = Buffer.from('scraper:p@ss/w0rd!').toString('base64');
    const text = `echo: Authorization: Basic ${basic}; raw p%40ss%2Fw0rd!; decoded p@ss/w0rd!; in ${url}`;
    const out = redactText(text, urlSecrets(url));
    for (const form of [basic, 'p%40ss%2Fw0rd!', 'p@ss/w0rd!']) expect(out).not.toContain(form);
    expect(out).toContain('Basic ***');
    expect(redactError(new Error(text), url)).not.toContain(basic);
  });

  it('a token is masked as given, encoded and in base64; a token-only user name counts as the secret', () => {
    const out = redactText(`Bearer t0k/en x t0k%2Fen y ${Buffer.from('t0k/en').toString('base64')}`, ['t0k/en']);
    expect(out).toBe('Bearer *** x *** y ***');
    expect(urlSecrets('https://ghp_abc123@host/')).toContain('ghp_abc123');
    expect(urlSecrets('https://host/')).toEqual([]);
  });

  it('every encoding of a secret is one of its forms: lowercase %xx, form-encoded, base64 with or without padding, base64url', () => {
    const secret = 'p@ss/w ord?~';
    const forms = secretForms(secret);
    for (const form of ['p%40ss%2Fw%20ord%3F~', 'p%40ss%2fw%20ord%3f~', 'p%40ss%2Fw+ord%3F%7E', 'p%40ss%2fw+ord%3f%7e', Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64').replace(/=+$/, ''), Buffer.from(secret).toString('base64url')]) {
      expect(forms).toContain(form);
      expect(redactText(`echo ${form} end`, [secret])).toBe('echo *** end');
    }
    const url = 'https://bot:s%2fcr%3Ft@prom/';
    const basic = Buffer.from('bot:s/cr?t').toString('base64url');
    expect(redactText(`Basic ${basic}`, urlSecrets(url))).toBe('Basic ***');
  });

  it('a secret too short to search for in free text (one letter) is masked in URLs, and leaves every other word whole', () => {
    const url = 'postgres://app:p@db.internal:5432/runs';
    const text = redactText(`connect to ${url} failed: password authentication failed (pool stopped)`, urlSecrets(url));
    expect(text).toBe('connect to postgres://***@db.internal:5432/runs failed: password authentication failed (pool stopped)');
    // From four characters on, every occurrence goes.
    expect(redactText('the token abcd was refused; abcd', ['abcd'])).toBe('the token *** was refused; ***');
  });

  it('query parameters named like credentials are masked in any URL; other parameters are left alone', () => {
    const text = 'GET https://h/ds-metrics?instance=a&token=abc123def&apiKey=K9&X-Amz-Signature=f00d&monkey=banana&client_secret=x#frag and http://h/?access_token=t1&page=2';
    expect(redactUserinfo(text)).toBe('GET https://h/ds-metrics?instance=a&token=***&apiKey=***&X-Amz-Signature=***&monkey=banana&client_secret=***#frag and http://h/?access_token=***&page=2');
    // The values are secrets wherever they appear, in every form; a short one (`?auth=1`) is masked in its URL only.
    const secrets = urlSecrets('https://h/m?session_token=tok%2Fen123&auth=1');
    expect(redactText(`echo tok/en123 ${Buffer.from('tok/en123').toString('base64')} tok%2fen123, 1 and 1`, secrets)).toBe('echo *** *** ***, 1 and 1');
  });

  it('a generated password with an unencoded #, /, ? or @ is masked whole in free text; a URL with an @ only after its path keeps its host', () => {
    for (const password of ['S3cr#tPw', 'S3cr?tPw', 'S3cr/tPw', 'S3cr@tPw', 'a#b/c?d@e']) {
      const text = `store postgres://alice:${password}@127.0.0.1:1/db cannot be used (Invalid URL)`;
      expect(redactUserinfo(text)).toBe('store postgres://***@127.0.0.1:1/db cannot be used (Invalid URL)');
    }
    // No user:password before the @: a package version, an address in a query, left alone.
    expect(redactUserinfo('see https://registry.example/pkg@1.0.0 and http://h/a?email=a@b.example')).toBe('see https://registry.example/pkg@1.0.0 and http://h/a?email=a@b.example');
  });

  it('a URL that does not parse (a password with a space) is shown with its credentials masked like any other', () => {
    const url = 'postgres://alice:S3cret Pw#1@127.0.0.1:1/db';
    expect(() => new URL(url)).toThrow();
    expect(redactUrl(url)).toBe('postgres://***@127.0.0.1:1/db');
    expect(redactText(`auth failed for alice with S3cret Pw#1, ${Buffer.from('alice:S3cret Pw#1').toString('base64')}`, urlSecrets(url))).toBe('auth failed for alice with ***, ***');
  });

  it('a query parameter whose name holds a credential word run together with others is masked (sslpassword, dbpasswd, gitlabtoken)', () => {
    expect(redactUserinfo('postgres://h/db?sslmode=require&sslpassword=SslS3cret&dbpasswd=x1&gitlabtoken=t2&sslcert=/c.pem')).toBe('postgres://h/db?sslmode=require&sslpassword=***&dbpasswd=***&gitlabtoken=***&sslcert=/c.pem');
    expect(urlSecrets('postgres://h/db?sslpassword=SslS3cret')).toContain('SslS3cret');
  });

  it('a secret that is also a URL scheme\'s word (postgres://postgres:postgres@db) is masked everywhere but in the scheme', () => {
    const url = 'postgres://postgres:postgres@db:5432/app';
    expect(redactUrl(url)).toBe('postgres://***@db:5432/app');
    const out = redactText(`could not reach ${url} (postgresql://other too) as postgres: password for postgres wrong`, urlSecrets(url));
    expect(out).toBe('could not reach postgres://***@db:5432/app (postgresql://other too) as ***: password for *** wrong');
  });

  it('a text cut short with an ellipsis just as a secret began: what is left of the secret is masked, whoever cut it first', () => {
    const secret = 'HMAC1-S3CRET-abc123';
    const text = `signed with ${secret} and more text after it`;
    // shorten keeps room for its "… (N more characters)": cut inside the secret.
    const cut = shorten(text, 'signed with HMAC1-S3'.length + '… (30 more characters)'.length);
    expect(cut).toMatch(/with HMAC1-S3…/);
    const out = redactText(cut, [secret]);
    expect(out).not.toMatch(/HMAC1-S/);
    expect(out).toMatch(/signed with \*\*\*… \(\d+ more characters\)$/);
    // Three characters are too few to tell from any word: left as they are, as for a whole secret that short.
    expect(redactText('ends with HMA… (9 more characters)', [secret])).toBe('ends with HMA… (9 more characters)');
  });

  it('a bearer token is masked as given and as the header a server may echo back encoded (`Bearer <token>` in base64)', () => {
    const token = 'PROMTOKEN-S3CRET-t9';
    const header = Buffer.from(`Bearer ${token}`).toString('base64');
    expect(redactText(`info: ${header}; warning: Authorization: Bearer ${token}`, tokenSecrets(token))).toBe('info: ***; warning: Authorization: ***');
  });

  it('more names of credential parameters: pw, passphrase, passcode, authkey, sharedkey, hmac', () => {
    for (const name of ['pw', 'passphrase', 'ssl_passphrase', 'passcode', 'authkey', 'sharedkey', 'hmac', 'X-Hmac']) {
      expect(redactUserinfo(`https://h/x?${name}=PWQ-S3CRET&region=eu`), name).toBe(`https://h/x?${name}=***&region=eu`);
      expect(urlSecrets(`https://h/x?${name}=PWQ-S3CRET`), name).toContain('PWQ-S3CRET');
    }
    expect(redactUserinfo('https://h/x?code=eu&page=2')).toBe('https://h/x?code=eu&page=2');
  });
});
