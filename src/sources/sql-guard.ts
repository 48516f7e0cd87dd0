/**
 * A friendly early error for SQL that is plainly not a single read, given before the run starts
 * and naming the metric. It is NOT what keeps a query from writing: that is the database (one
 * statement per query by the protocol, a read-only session and role, see sql-postgres.ts and
 * sql-sqlite.ts). A text this check misreads can only get a less clear error from the server.
 *
 * A small lexer, not a parser: it finds statement boundaries and keywords outside strings, quoted
 * identifiers, dollar-quoted bodies and comments, lexing them as Postgres does (block comments
 * nest; E'' strings take backslash escapes).
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
      const end = commentEnd(sql, i);
      if (end === -1) return { error: 'a /* comment is never closed' };
      i = end;
    } else if (c === "'" || c === '"' || c === '`') {
      const end = closing(sql, i, c);
      if (end === -1) return { error: `a ${c} quote is never closed` };
      i = end + 1;
      inStatement = true;
    } else if (c === '$' && DOLLAR_TAG.test(sql.slice(i))) {
      const tag = DOLLAR_TAG.exec(sql.slice(i))![0];
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

/** `$$` or `$tag$`: a tag is an identifier (no `$`, not starting with a digit). */
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/** Index just past the end of the block comment opening at `start`: Postgres nests them. */
function commentEnd(sql: string, start: number): number {
  let depth = 0;
  for (let i = start; i < sql.length - 1; i++) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i++;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i++;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
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
