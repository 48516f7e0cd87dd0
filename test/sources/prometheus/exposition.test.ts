/** The exposition parser on real pages: prom-client's text output, and OpenMetrics as the spec shows it. */
import { Registry, Counter, Histogram, Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ExpositionError, parseExposition, parseSampleValue } from '../../../src/sources/prometheus/exposition.js';

describe('the text format 0.0.4', () => {
  it('reads what prom-client serves: types, labels, histogram buckets with +Inf', async () => {
    const registry = new Registry();
    const requests = new Counter({ name: 'http_requests_total', help: 'Requests.', labelNames: ['status', 'path'], registers: [registry] });
    const duration = new Histogram({ name: 'req_seconds', help: 'Latency.', buckets: [0.1, 0.5], registers: [registry] });
    new Gauge({ name: 'queue_depth', help: 'Depth\nwith "quotes" and \\ in help.', registers: [registry] }).set(7);
    requests.inc({ status: '500', path: '/a "quoted"\\path\nx' }, 3);
    duration.observe(0.2);

    const page = parseExposition(await registry.metrics());

    expect(page.types.get('http_requests_total')).toBe('counter');
    expect(page.types.get('req_seconds')).toBe('histogram');
    expect(page.types.get('queue_depth')).toBe('gauge');
    expect(page.samples).toContainEqual({ name: 'http_requests_total', labels: { status: '500', path: '/a "quoted"\\path\nx' }, value: 3 });
    expect(page.samples).toContainEqual({ name: 'queue_depth', labels: {}, value: 7 });
    expect(page.samples).toContainEqual({ name: 'req_seconds_bucket', labels: { le: '0.5' }, value: 1 });
    expect(page.samples).toContainEqual({ name: 'req_seconds_bucket', labels: { le: '+Inf' }, value: 1 });
    expect(page.samples).toContainEqual({ name: 'req_seconds_count', labels: {}, value: 1 });
  });

  it('a series twice in one page counts once, with its first value, as Prometheus keeps it (both had been summed); other label sets are other series', () => {
    const page = parseExposition(
      ['# TYPE http_requests_total counter', 'http_requests_total{code="200"} 10', 'http_requests_total{code="500"} 1', 'http_requests_total{code="200"} 99', 'queue_depth 3', 'queue_depth 4'].join('\n'),
    );
    expect(page.samples).toEqual([
      { name: 'http_requests_total', labels: { code: '200' }, value: 10 },
      { name: 'http_requests_total', labels: { code: '500' }, value: 1 },
      { name: 'queue_depth', labels: {}, value: 3 },
    ]);
  });

  it('accepts timestamps (ms), trailing commas, spaces around labels, CRLF, and special values', () => {
    const page = parseExposition(
      [
        '# A free comment',
        'a{x="1",} 1 1700000000000\r',
        'b { x = "2" , y="3" } NaN',
        'c +Inf',
        'd -Inf',
        'e 1.5e3',
        '',
      ].join('\n'),
    );
    expect(page.samples[0]).toEqual({ name: 'a', labels: { x: '1' }, value: 1, timestampMs: 1700000000000 });
    expect(page.samples[1]!.labels).toEqual({ x: '2', y: '3' });
    expect(page.samples[1]!.value).toBeNaN();
    expect(page.samples.slice(2).map((s) => s.value)).toEqual([Infinity, -Infinity, 1500]);
  });

  it.each([
    ['a{x="1} 1', 'line 1: unterminated label value'],
    ['a{x=1} 1', 'line 1: expected a double-quoted label value at column 5'],
    ['a{x="\\q"} 1', 'line 1: invalid escape "\\q" in a label value'],
    ['a 1\nb', 'line 2: expected a space and a value after b'],
    ['a{x="1"}1', 'line 1: expected a space and a value after a'],
    ['a one', 'line 1: invalid value "one" for a'],
    ['a 1 1 1', 'line 1: unexpected "1" after the value of a'],
    ['a 1 soon', 'line 1: invalid timestamp "soon" for a'],
    ['9a 1', 'line 1: expected a metric name at column 1'],
    ['# TYPE a countre\na 1', 'line 1: malformed # TYPE line'],
    ['a{x="1",y="2",x="3"} 1', 'line 1: label x twice in one series'],
    ['# TYPE a counter\na 1\n# TYPE a gauge\na 2', 'line 3: # TYPE a gauge after # TYPE a counter: one family, two types'],
  ])('refuses %j with the line and the reason', (text, reason) => {
    expect(() => parseExposition(text)).toThrow(ExpositionError);
    expect(() => parseExposition(text)).toThrow(reason);
  });

  it('a family declared twice with the same type is read (only two types for one family are refused)', () => {
    expect(parseExposition('# TYPE a counter\na 1\n# TYPE a counter\na{x="1"} 2').types.get('a')).toBe('counter');
  });

  it.each(['abc', '', '1e', '0x10', ' 1', '1,5', 'NaN'])('refuses a histogram bucket with le=%j, naming the line (Number() read "0x10" as 16 and "" as 0: a quantile silently wrong)', (le) => {
    const page = ['# TYPE h histogram', 'h_bucket{le="0.1"} 1', `h_bucket{le=${JSON.stringify(le)}} 2`, 'h_bucket{le="+Inf"} 3'].join('\n');
    expect(() => parseExposition(page)).toThrow(ExpositionError);
    expect(() => parseExposition(page)).toThrow(`line 3: invalid le ${JSON.stringify(le)} for h_bucket (a bucket's upper bound is a number or +Inf)`);
    // A histogram the queries do not read is not refused (Prometheus scrapes such a page too).
    expect(parseExposition(page, false, (name) => name !== 'h_bucket').samples).toEqual([]);
  });

  it('reads every bound the format allows: +Inf in any case, -Inf, 1.0, 1e3; and a page that declares a _bucket name as its own family is not held to it', () => {
    const page = parseExposition(['h_bucket{le="-Inf"} 0', 'h_bucket{le="1.0"} 1', 'h_bucket{le="1e3"} 2', 'h_bucket{le="inf"} 3', '# TYPE s3_bucket gauge', 's3_bucket{le="eu"} 1'].join('\n'));
    expect(page.samples.map((s) => s.labels.le)).toEqual(['-Inf', '1.0', '1e3', 'inf', 'eu']);
  });

  it.each([
    ['a value', `latency_p95 ${'a'.repeat(1_000_000)}`],
    ['a timestamp', `latency_p95 1 ${'9x'.repeat(500_000)}`],
    ['a name', `${'n'.repeat(1_000_000)}{x="1"}1`],
  ])('a page holding a megabyte-long token in %s fails with a reason of bounded length (it was quoted whole, in every log line of every tick)', (_what, text) => {
    const err = (() => {
      try {
        parseExposition(text);
      } catch (e) {
        return e as Error;
      }
      throw new Error('parsed');
    })();
    expect(err).toBeInstanceOf(ExpositionError);
    expect(err.message.length).toBeLessThan(400);
    expect(err.message).toMatch(/^line 1: .*more characters\)/);
  });
});

describe('OpenMetrics 1.0', () => {
  const page = [
    '# TYPE acme_http_router_request_seconds histogram',
    '# UNIT acme_http_router_request_seconds seconds',
    '# HELP acme_http_router_request_seconds Latency though all of ACME\'s HTTP request router.',
    'acme_http_router_request_seconds_bucket{path="/api/v1",method="GET",le="0.01"} 11 # {trace_id="KOO5S4vxi0o"} 0.0067 1520879607.789',
    'acme_http_router_request_seconds_bucket{path="/api/v1",method="GET",le="+Inf"} 13',
    'acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 0.2',
    'acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 13',
    'acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1520430000.123',
    '# TYPE foo counter',
    'foo_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67',
    'foo_created 1520430000.123',
    '# EOF',
    '',
  ].join('\n');

  it('reads families, exemplars (ignored), _created series and timestamps in seconds', () => {
    const parsed = parseExposition(page, true);
    expect(parsed.types.get('foo')).toBe('counter');
    expect(parsed.types.get('acme_http_router_request_seconds')).toBe('histogram');
    expect(parsed.samples).toContainEqual({ name: 'acme_http_router_request_seconds_bucket', labels: { path: '/api/v1', method: 'GET', le: '0.01' }, value: 11 });
    expect(parsed.samples).toContainEqual({ name: 'foo_total', labels: {}, value: 17, timestampMs: 1520879607789 });
    expect(parsed.samples).toContainEqual({ name: 'foo_created', labels: {}, value: 1520430000.123 });
    expect(parsed.samples).toHaveLength(7);
  });

  it('label values made only of escapes, escapes at either end, and empty values', () => {
    const [sample] = parseExposition('a{x="\\\\",y="\\"\\n\\"",z="",w="\\\\end\\\\",v="q\\\\"} 1').samples;
    expect(sample!.labels).toEqual({ x: '\\', y: '"\n"', z: '', w: '\\end\\', v: 'q\\' });
  });

  it('refuses content after # EOF', () => {
    expect(() => parseExposition(`${page}foo_total 18\n`, true)).toThrow('line 13: content after "# EOF"');
  });
});

describe('parseSampleValue', () => {
  it.each([
    ['1', 1],
    ['-0.5', -0.5],
    ['1e-3', 0.001],
    ['+Inf', Infinity],
    ['inf', Infinity],
    ['-Inf', -Infinity],
    ['.5', 0.5],
  ])('%s -> %d', (token, value) => expect(parseSampleValue(token)).toBe(value));

  it.each(['', '0x10', '1,5', 'one', '1e'])('refuses %j', (token) => expect(parseSampleValue(token)).toBeUndefined());

  it('reads NaN in any case', () => expect(parseSampleValue('nan')).toBeNaN());

  it.each([
    ['digits', (n: number) => `${'1'.repeat(n)}x`],
    ['digits, a point, digits', (n: number) => `${'1'.repeat(n)}.${'1'.repeat(n)}x`],
    ['digits and an exponent', (n: number) => `${'1'.repeat(n)}e${'1'.repeat(n)}x`],
  ])('refuses 50,000 %s and then not a number in linear time (a page or an answer may send it)', (_what, token) => {
    // 10 to 20 s each, the event loop held, when the pattern could split a digit run two ways; a megabyte of digits, hours.
    const started = performance.now();
    expect(parseSampleValue(token(50_000))).toBeUndefined();
    expect(parseSampleValue(token(50_000).slice(0, -1))).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
