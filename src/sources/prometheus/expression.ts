/**
 * The small expression language of `prometheus-scrape` queries: a recursive-descent parser over
 * a hand-written tokenizer. Pure, and run at config time, so a typo fails before anything is
 * deployed. Grammar (whitespace is free between tokens):
 *
 *   expr     := operand (('*' | '/') operand)*            left-associative
 *   operand  := number | '(' expr ')' | call | selector
 *   call     := 'rate' '(' selector ')'
 *             | 'quantile' '(' number ',' selector ')'   0 <= number <= 1
 *   selector := metric_name ('{' (matcher (',' matcher)* ','?)? '}')?
 *   matcher  := label_name ('=' | '!=' | '=~' | '!~') string    regexes are anchored, as in PromQL
 *   string   := "..." | '...'  with \\ \" \' \n \t escapes
 */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  label: string;
  op: MatchOp;
  value: string;
  /** For `=~` / `!~`: the value anchored at both ends (`^(?:value)$`), as Prometheus does. */
  regex?: RegExp;
}

export interface Selector {
  name: string;
  matchers: Matcher[];
}

export type Expr =
  | { kind: 'number'; value: number }
  /** A bare selector: the sum of the matching series' current values. */
  | { kind: 'gauge'; selector: Selector }
  | { kind: 'rate'; selector: Selector }
  | { kind: 'quantile'; q: number; selector: Selector }
  | { kind: 'binary'; op: '*' | '/'; left: Expr; right: Expr };

export class ExpressionError extends Error {
  constructor(
    /** 1-based character position in the expression. */
    readonly position: number,
    reason: string,
  ) {
    super(`at position ${position}: ${reason}`);
    this.name = 'ExpressionError';
  }
}

type Token =
  | { type: 'ident'; text: string; at: number }
  | { type: 'number'; value: number; text: string; at: number }
  | { type: 'string'; value: string; text: string; at: number }
  | { type: 'op'; text: string; at: number }
  | { type: 'end'; text: ''; at: number };

const OPS = ['!=', '=~', '!~', '(', ')', '{', '}', ',', '*', '/', '='];
const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const IDENT = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const number = NUMBER.exec(rest);
    const ident = IDENT.exec(rest);
    const op = OPS.find((o) => rest.startsWith(o));
    if (number) {
      tokens.push({ type: 'number', value: Number(number[0]), text: number[0], at: i + 1 });
      i += number[0].length;
    } else if (ident) {
      tokens.push({ type: 'ident', text: ident[0], at: i + 1 });
      i += ident[0].length;
    } else if (c === '"' || c === "'") {
      const { value, end } = readString(src, i);
      tokens.push({ type: 'string', value, text: src.slice(i, end), at: i + 1 });
      i = end;
    } else if (op) {
      tokens.push({ type: 'op', text: op, at: i + 1 });
      i += op.length;
    } else {
      throw new ExpressionError(i + 1, `unexpected character "${c}"`);
    }
  }
  tokens.push({ type: 'end', text: '', at: src.length + 1 });
  return tokens;
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', "'": "'", n: '\n', t: '\t' };

function readString(src: string, start: number): { value: string; end: number } {
  const quote = src[start]!;
  let value = '';
  for (let i = start + 1; i < src.length; i++) {
    const c = src[i]!;
    if (c === quote) return { value, end: i + 1 };
    if (c !== '\\') {
      value += c;
      continue;
    }
    const e = src[++i];
    if (e === undefined || ESCAPES[e] === undefined) throw new ExpressionError(i + 1, `invalid escape "\\${e ?? ''}" in a string`);
    value += ESCAPES[e];
  }
  throw new ExpressionError(start + 1, 'unterminated string');
}

/** Parses one expression; throws ExpressionError with the position of the first problem. */
export function parseExpression(src: string): Expr {
  const p = new Parser(tokenize(src));
  const expr = p.expr();
  p.end();
  if (!mentionsMetric(expr)) throw new ExpressionError(1, 'the expression reads no metric (a bare number is not a measurement)');
  return expr;
}

function mentionsMetric(e: Expr): boolean {
  return e.kind === 'binary' ? mentionsMetric(e.left) || mentionsMetric(e.right) : e.kind !== 'number';
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  expr(): Expr {
    let left = this.operand();
    for (let t = this.peek(); t.type === 'op' && (t.text === '*' || t.text === '/'); t = this.peek()) {
      this.i++;
      left = { kind: 'binary', op: t.text, left, right: this.operand() };
    }
    return left;
  }

  end(): void {
    const t = this.peek();
    if (t.type !== 'end') this.fail(t, `expected "*", "/" or the end of the expression, found ${describe(t)}`);
  }

  private operand(): Expr {
    const t = this.next();
    if (t.type === 'number') return { kind: 'number', value: t.value };
    if (t.type === 'op' && t.text === '(') {
      const inner = this.expr();
      this.expectOp(')', 'to close "("');
      return inner;
    }
    if (t.type !== 'ident') this.fail(t, `expected a number, "(", rate(...), quantile(...) or a metric name, found ${describe(t)}`);
    const after = this.peek();
    if (after.type !== 'op' || after.text !== '(') return { kind: 'gauge', selector: this.selector(t) };
    this.i++;
    if (t.text === 'rate') {
      const selector = this.selector(this.nextIdent('a counter name inside rate(...)'));
      this.expectOp(')', 'to close rate(');
      return { kind: 'rate', selector };
    }
    if (t.text === 'quantile') {
      const q = this.next();
      if (q.type !== 'number') this.fail(q, `expected the quantile (a number from 0 to 1) as the first argument of quantile(...), found ${describe(q)}`);
      if (q.value > 1) this.fail(q, `the quantile must be between 0 and 1 (got ${q.text}; for p95 write 0.95)`);
      this.expectOp(',', 'after the quantile');
      const name = this.nextIdent('a histogram name as the second argument of quantile(...)');
      if (/_bucket$/.test(name.text)) this.fail(name, `quantile(...) takes the histogram's name: write ${name.text.replace(/_bucket$/, '')}, not ${name.text}`);
      const selector = this.selector(name);
      this.expectOp(')', 'to close quantile(');
      return { kind: 'quantile', q: q.value, selector };
    }
    return this.fail(t, `unknown function "${t.text}" (the functions are rate and quantile)`);
  }

  private selector(name: Token & { type: 'ident' }): Selector {
    const matchers: Matcher[] = [];
    const open = this.peek();
    if (open.type !== 'op' || open.text !== '{') return { name: name.text, matchers };
    this.i++;
    for (;;) {
      const t = this.next();
      if (t.type === 'op' && t.text === '}') break;
      if (t.type !== 'ident' || t.text.includes(':')) this.fail(t, `expected a label name or "}", found ${describe(t)}`);
      const op = this.next();
      if (op.type !== 'op' || !['=', '!=', '=~', '!~'].includes(op.text)) this.fail(op, `expected =, !=, =~ or !~ after label ${t.text}, found ${describe(op)}`);
      const value = this.next();
      if (value.type !== 'string') this.fail(value, `expected a quoted string after ${t.text}${op.text}, found ${describe(value)}`);
      matchers.push(matcher(t.text, op.text as MatchOp, value));
      const sep = this.next();
      if (sep.type === 'op' && sep.text === '}') break;
      if (sep.type !== 'op' || sep.text !== ',') this.fail(sep, `expected "," or "}" after a label matcher, found ${describe(sep)}`);
    }
    return { name: name.text, matchers };
  }

  private nextIdent(what: string): Token & { type: 'ident' } {
    const t = this.next();
    if (t.type !== 'ident') this.fail(t, `expected ${what}, found ${describe(t)}`);
    return t;
  }

  private expectOp(op: string, why: string): void {
    const t = this.next();
    if (t.type !== 'op' || t.text !== op) this.fail(t, `expected "${op}" ${why}, found ${describe(t)}`);
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.type !== 'end') this.i++;
    return t;
  }

  private fail(t: Token, reason: string): never {
    throw new ExpressionError(t.at, reason);
  }
}

function matcher(label: string, op: MatchOp, value: Token & { type: 'string' }): Matcher {
  if (op === '=' || op === '!=') return { label, op, value: value.value };
  try {
    return { label, op, value: value.value, regex: new RegExp(`^(?:${value.value})$`, 'u') };
  } catch (err) {
    throw new ExpressionError(value.at, `invalid regular expression ${value.text}: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

function describe(t: Token): string {
  return t.type === 'end' ? 'the end of the expression' : `"${t.text}"`;
}
