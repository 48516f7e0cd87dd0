/** Store locations: a URL of another scheme never becomes a path, whichever door it came through. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { sqlitePath, storeLocationIssue } from '../../src/store/location.js';

describe('sqlitePath', () => {
  it('refuses a URL of an unsupported scheme (a door that did not check it first), without quoting it', () => {
    for (const location of ['postgress://alice:S3cretPw@h/db', 'pg:/alice:S3cretPw@h/db', 'MySQL://alice:S3cretPw@h/db', 'postgres:alice:S3cretPw@h/db', 'postgresql:/alice:S3cretPw@h/db', 'PSQL:alice:S3cretPw@h']) {
      let thrown: unknown;
      try {
        sqlitePath(location, '/work');
      } catch (err) {
        thrown = err;
      }
      expect(thrown, location).toBeInstanceOf(UsageError);
      expect((thrown as UsageError).message).not.toContain('S3cretPw');
      expect((thrown as UsageError).exitCode).toBe(2);
    }
  });

  it('a Postgres URL missing a slash is said to be one, not "a postgres:// URL, which is not a store"', () => {
    for (const location of ['postgres:alice:S3cretPw@h/db', 'postgres:/alice:S3cretPw@h/db']) {
      expect(storeLocationIssue(location)).toMatch(/^starts with postgres: but is not a postgres:\/\/ URL/);
    }
  });

  it('takes postgres URLs as Postgres, file: paths and file:/// URLs (decoded) as files, and a drive letter as a path', () => {
    expect(sqlitePath('postgresql://u:p@h/db')).toBeUndefined();
    expect(sqlitePath('file:runs.db', '/work')).toBe('/work/runs.db');
    expect(sqlitePath('file:///srv/team%20runs.db', '/work')).toBe('/srv/team runs.db');
    expect(storeLocationIssue('C:/runs/seqpulse.db')).toBeUndefined();
    expect(storeLocationIssue('.seqpulse/seqpulse.db')).toBeUndefined();
  });
});
