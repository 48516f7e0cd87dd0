/** Every form a secret travels in is masked where the secret is (redact.ts). */
import { describe, expect, it } from 'vitest';
import { redactError, redactText, urlSecrets } from '../src/redact.js';

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
});
