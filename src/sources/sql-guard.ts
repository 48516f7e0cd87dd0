/**
 * Refuses any SQL but a single read before it is sent. Defence in depth, not the only wall: every
 * query also runs in a READ ONLY transaction with a statement timeout (Postgres) or on a read-only
 * connection as a statement SQLite itself reports read-only, and the database role should be
 * read-only too. This check turns a mistake (or a hostile config) into a clear error up front.
 *
 * A small lexer, not a parser: it only has to find statement boundaries and keywords outside
 * strings, quoted identifiers, dollar-quoted bodies and comments.
 */

import type { ConfigIssue } from '../errors.js';

/** Each metric query that is not a single read, as a config issue. */
export function refusedQueries(queries: Record<string, string>): ConfigIssue[] {
  return Object.entries(queries).flatMap(([name, query]) => {
    const reason = refuseUnlessRead(query);
    return reason ? [{ source: 'settings', key: `queries.${name}`, reason }] : [];
  });
}

/** Statements that write; inside a read they can only hide in a WITH (`x AS (DELETE ...)`). */
const WRITES = new Set(['insert', 'update', 'delete', 'merge']);

/** Why the query is refused, or undefined for a single SELECT / WITH ... SELECT / VALUES / TABLE. */
export function refuseUnlessRead(query: string): string | undefined {
  const lexed = tokens(query);
  if ('error' in lexed) return lexed.error;
  const { list, statements } = lexed;
  if (statements > 1) return 'only one statement is allowed (found a ";" followed by more SQL)';
  const first = list.find((t) => t !== '(');
  if (first === undefined) return 'the query is empty';
  if (!['select', 'with', 'values', 'table'].includes(first)) return `only reads are allowed: the query starts with ${first.toUpperCase()}, not SELECT or WITH`;
  for (let i = 0; i < list.length; i++) {
    const [t, next] = [list[i]!, list[i + 1]];
    if (t === '(' && next !== undefined && WRITES.has(next)) return `only reads are allowed: ${next.toUpperCase()} inside the query writes`;
    if (t === 'into') return 'only reads are allowed: SELECT ... INTO creates a table';
    if (t === 'for' && next !== undefined && ['update', 'share', 'no', 'key'].includes(next)) return 'only reads are allowed: FOR UPDATE / FOR SHARE lock rows';
  }
  return undefined;
}

/** Lower-cased bare words and opening parentheses outside strings and comments, and how many statements the text holds. */
function tokens(sql: string): { list: string[]; statements: number } | { error: string } {
  const list: string[] = [];
  let statements = 0;
  let inStatement = false;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) return { error: 'a /* comment is never closed' };
      i = end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      const end = closing(sql, i, c);
      if (end === -1) return { error: `a ${c} quote is never closed` };
      i = end + 1;
      inStatement = true;
    } else if (c === '$' && /^\$[A-Za-z_]*\$/.test(sql.slice(i))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      if (end === -1) return { error: `a ${tag} quoted body is never closed` };
      i = end + tag.length;
      inStatement = true;
    } else if (c === ';') {
      if (inStatement) statements++;
      inStatement = false;
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i))![0];
      // E'...' strings: the E is a prefix, the quote follows.
      if (sql[i + word.length] !== "'" || word.toLowerCase() !== 'e') list.push(word.toLowerCase());
      i += word.length;
      inStatement = true;
    } else {
      if (c === '(') list.push('(');
      if (!/\s/.test(c)) inStatement = true;
      i++;
    }
  }
  if (inStatement) statements++;
  return { list, statements };
}

/** Index of the quote closing the one at `start` (a doubled quote is an escaped one; backslashes escape in E'' strings). */
function closing(sql: string, start: number, quote: string): number {
  const escapes = quote === "'" && /e$/i.test(sql.slice(0, start)) && !/[A-Za-z0-9_]e$/i.test(sql.slice(0, start));
  for (let i = start + 1; i < sql.length; i++) {
    if (escapes && sql[i] === '\\') {
      i++;
      continue;
    }
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}
