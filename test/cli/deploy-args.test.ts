/** Where `seqpulse run`'s options end and the deploy command begins (the words as typed, and as commander split them). */
import { describe, expect, it } from 'vitest';
import { checkDeployArgs } from '../../src/cli/deploy-args.js';

/** `typed` split as commander does with passThroughOptions: the command is the tail from its first word. */
const check = (typed: string, firstWord: string) => {
  const raw = typed.split(' ');
  checkDeployArgs(raw, raw.slice(raw.indexOf(firstWord)));
};

describe('the deploy command after --', () => {
  it('accepts the command after --, whatever its own options, and a plain command without options', () => {
    expect(() => check('run --env prod -- ./deploy.sh --env prod', './deploy.sh')).not.toThrow();
    expect(() => check('run -- kubectl exec pod -- ls', 'kubectl')).not.toThrow();
    expect(() => check('run --window 5m make deploy', 'make')).not.toThrow();
    expect(() => check('run --retries 2 s3cmd sync', 's3cmd')).not.toThrow();
  });

  it('refuses an option after the first word without --, words before --, and a duration in two words', () => {
    expect(() => check('run ./deploy.sh --env prod', './deploy.sh')).toThrow(/--env comes after the deploy command's first word \(\.\/deploy\.sh\) without --/);
    expect(() => check('run kubectl exec pod -- ls', 'kubectl')).toThrow(/"kubectl exec pod" comes before --/);
    expect(() => check('run --window 5 minutes ./deploy.sh', 'minutes')).toThrow(/"--window 5 minutes": a duration is one word/);
    expect(() => check('run --interval 10 s -- ./deploy.sh', 's')).toThrow(/"--interval 10 s": a duration is one word/);
  });

  it('a duration in two words is refused in the --opt=<number> form too, with the fix written the same way', () => {
    expect(() => check('run --window=5 minutes ./deploy.sh', 'minutes')).toThrow(/^"--window=5 minutes": a duration is one word, so "minutes" would be run as the deploy command$/);
    try {
      check('run --settle=1.5 m ./deploy.sh', 'm');
      expect.unreachable();
    } catch (err) {
      expect((err as { hint?: string }).hint).toMatch(/^Write --settle=1\.5m \(a bare number is seconds\)/);
    }
    // Not a duration option, or a value with its unit: the words are the command's.
    expect(() => check('run --retries=5 minutes', 'minutes')).not.toThrow();
    expect(() => check('run --window=5m minutes', 'minutes')).not.toThrow();
  });
});

describe('the words quoted back keep secrets out', () => {
  const message = (typed: string, firstWord: string): string => {
    try {
      check(typed, firstWord);
    } catch (err) {
      const e = err as { message: string; hint?: string };
      return `${e.message}\n${e.hint ?? ''}`;
    }
    return expect.unreachable();
  };

  it('a flag that took the next option as its value (--secret --endpoint URL --secret s3cr3t -- true) quotes the rest with the secret, a token and URL passwords masked', () => {
    const words = message('run --secret --endpoint http://127.0.0.1:9/ds-metrics --secret s3cr3t-XYZ --source-token=tok-ABC --store postgres://ci:pw-QRS@db/seqpulse -- true', 'http://127.0.0.1:9/ds-metrics');
    expect(words).toContain('"http://127.0.0.1:9/ds-metrics --secret *** --source-token=*** --store postgres://***@db/seqpulse" comes before --');
    expect(words).not.toMatch(/s3cr3t-XYZ|tok-ABC|pw-QRS/);
    const after = message('run ./deploy.sh --secret=s3cr3t-XYZ --sql-url postgres://u:pw-QRS@db/x', './deploy.sh');
    expect(after).toContain('--secret=*** comes after the deploy command');
    expect(after).toContain('seqpulse run -- ./deploy.sh --secret=*** --sql-url postgres://***@db/x');
    expect(after).not.toMatch(/s3cr3t-XYZ|pw-QRS/);
  });
});
