/** The scrape expression language: parsing (with positioned errors), evaluation between two scrapes, and bucket quantiles. */
import { describe, expect, it } from 'vitest';
import { bucketQuantile } from '../../../src/sources/prometheus/bucket-quantile.js';
import { evaluate, type Scrape } from '../../../src/sources/prometheus/evaluate.js';
import { parseExposition } from '../../../src/sources/prometheus/exposition.js';
import { ExpressionError, parseExpression } from '../../../src/sources/prometheus/expression.js';
import { checkScrapeExpression } from '../../../src/sources/prometheus/scrape.js';

describe('parseExpression', () => {
  it('parses the documented forms into a tree', () => {
    expect(parseExpression('rate(http_requests_total{status=~"5..", path!="/health",}) / rate(http_requests_total)')).toMatchObject({
      kind: 'binary',
      op: '/',
      left: { kind: 'rate', selector: { name: 'http_requests_total', matchers: [{ label: 'status', op: '=~', value: '5..' }, { label: 'path', op: '!=', value: '/health' }] } },
      right: { kind: 'rate', selector: { name: 'http_requests_total', matchers: [] } },
    });
    expect(parseExpression("quantile(0.95, http_request_duration_seconds{job!~'batch|cron'}) * 1000")).toMatchObject({
      kind: 'binary',
      op: '*',
      left: { kind: 'quantile', q: 0.95, selector: { name: 'http_request_duration_seconds', matchers: [{ label: 'job', op: '!~', value: 'batch|cron' }] } },
      right: { kind: 'number', value: 1000 },
    });
    expect(parseExpression('process:memory_bytes{}')).toEqual({ kind: 'gauge', selector: { name: 'process:memory_bytes', matchers: [] } });
  });

  it('is left-associative, and parentheses group', () => {
    expect(parseExpression('a / b * 100')).toMatchObject({ op: '*', left: { op: '/' }, right: { value: 100 } });
    expect(parseExpression('a / (b * 100)')).toMatchObject({ op: '/', left: { kind: 'gauge' }, right: { op: '*' } });
  });

  it('anchors regexes as PromQL does', () => {
    const expr = parseExpression('x{status=~"5.."}');
    const regex = expr.kind === 'gauge' ? expr.selector.matchers[0]!.regex! : undefined;
    expect(regex?.test('503')).toBe(true);
    expect(regex?.test('1503')).toBe(false);
    expect(regex?.test('5030')).toBe(false);
  });

  it('reads string escapes', () => {
    const expr = parseExpression('x{path="a\\"b\\\\c\\n"}');
    expect(expr.kind === 'gauge' && expr.selector.matchers[0]!.value).toBe('a"b\\c\n');
  });

  it.each([
    ['rate(http_requests_total', 'at position 25: expected ")" to close rate(, found the end of the expression'],
    ['rate(x) / ', 'at position 11: expected a number, "(", rate(...), quantile(...) or a metric name, found the end of the expression'],
    ['x{status=5}', 'at position 10: expected a quoted string after status=, found "5"'],
    ['x{status~"5"}', 'at position 9: unexpected character "~"'],
    ['x{status="5"', 'at position 13: expected "," or "}" after a label matcher, found the end of the expression'],
    ['x{a:b="1"}', 'at position 3: expected a label name or "}", found "a:b"'],
    ['x{s=~"(5"}', 'at position 6: invalid regular expression "(5"'],
    ['x{s="5}', 'at position 5: unterminated string'],
    ['x{s="\\d"}', 'at position 7: invalid escape "\\d" in a string'],
    ['quantile(95, h)', 'at position 10: the quantile must be between 0 and 1 (got 95; for p95 write 0.95)'],
    ['quantile(h, 0.95)', 'at position 10: expected the quantile (a number from 0 to 1) as the first argument of quantile(...), found "h"'],
    ['quantile(0.9 h)', 'at position 14: expected "," after the quantile, found "h"'],
    ['quantile(0.5, lat_bucket{le="1"})', "at position 15: quantile(...) takes the histogram's name: write lat, not lat_bucket"],
    ['increase(x)', 'at position 1: unknown function "increase" (the functions are rate and quantile)'],
    ['rate(rate(x))', 'at position 10: expected ")" to close rate(, found "("'],
    ['a b', 'at position 3: expected "*", "/" or the end of the expression, found "b"'],
    ['a + b', 'at position 3: unexpected character "+"'],
    ['1000', 'at position 1: the expression reads no metric'],
    ['', 'at position 1: expected a number'],
  ])('refuses %j: %s', (src, message) => {
    expect(() => parseExpression(src)).toThrow(ExpressionError);
    expect(() => parseExpression(src)).toThrow(message);
    expect(checkScrapeExpression(src)).toContain(message);
  });

  it('checkScrapeExpression is undefined for a valid expression', () => {
    expect(checkScrapeExpression('rate(http_requests_total{status=~"5.."}) / rate(http_requests_total)')).toBeUndefined();
    expect(checkScrapeExpression('quantile(0.95, http_request_duration_seconds) * 1000')).toBeUndefined();
  });
});

function scrape(text: string, takenAt: number): Scrape {
  return { exposition: parseExposition(text), takenAt };
}

const value = (src: string, current: Scrape, previous?: Scrape) => evaluate(parseExpression(src), current, previous);

describe('evaluate', () => {
  const before = scrape(
    ['# TYPE req_total counter', 'req_total{status="200"} 100', 'req_total{status="500"} 10', '# TYPE inflight gauge', 'inflight{pod="a"} 2', 'inflight{pod="b"} 3'].join('\n'),
    10_000,
  );
  const after = scrape(['# TYPE req_total counter', 'req_total{status="200"} 150', 'req_total{status="500"} 20', 'req_total{status="503"} 5', 'inflight{pod="a"} 4'].join('\n'), 15_000);

  it('a label matcher finds only labels the page has: `constructor` or `__proto__` are label names, not prototype members', () => {
    const page = scrape(['inflight{pod="a"} 2', 'inflight{pod="b",__proto__="x"} 3'].join('\n'), 1000);
    expect(value('inflight{constructor=""}', page)).toBe(5);
    expect(value('inflight{constructor!=""}', page)).toBeUndefined();
    expect(value('inflight{__proto__="x"}', page)).toBe(3);
  });

  it('a rate is the per-second increase over the scrapes own elapsed time, summed over matching series', () => {
    expect(value('rate(req_total)', after, before)).toBe((50 + 10 + 5) / 5);
    // status="503" is new since the previous scrape: it counts from 0 (client libraries create it on its first increment).
    expect(value('rate(req_total{status=~"5.."})', after, before)).toBe((10 + 5) / 5);
    expect(value('rate(req_total{status=~"5.."}) / rate(req_total)', after, before)).toBeCloseTo(15 / 65, 12);
  });

  it('a series is the same series whatever order its labels come in, and never another series whose labels run together the same way', () => {
    const first = scrape(['req_total{a="x",b="bz"} 10', 'req_total{a="xb",b="z"} 100'].join('\n'), 1000);
    const second = scrape(['req_total{b="bz",a="x"} 12', 'req_total{b="z",a="xb"} 103'].join('\n'), 2000);
    // Increases of 2 and 3: a key that confused the two series would find a reset or a jump.
    expect(value('rate(req_total)', second, first)).toBe(5);
  });

  it('a counter lower than before restarted: its increase is its new value', () => {
    const restarted = scrape(['req_total{status="200"} 30', 'req_total{status="500"} 25'].join('\n'), 20_000);
    expect(value('rate(req_total{status="200"})', restarted, after)).toBe(30 / 5);
    expect(value('rate(req_total{status="500"})', restarted, after)).toBe(5 / 5);
  });

  it('needs a previous scrape for rates and quantiles; gauges need none', () => {
    expect(value('rate(req_total)', after, undefined)).toBeUndefined();
    expect(value('quantile(0.5, lat)', after, undefined)).toBeUndefined();
    expect(value('inflight', before, undefined)).toBe(5);
    expect(value('inflight{pod="b"}', before)).toBe(3);
  });

  it('a metric the page does not expose is absent, never 0', () => {
    expect(value('rate(renamed_total)', after, before)).toBeUndefined();
    expect(value('inflight{pod="b"}', after, before)).toBeUndefined();
    expect(value('rate(renamed_total) / rate(req_total)', after, before)).toBeUndefined();
    expect(value('quantile(0.5, lat)', after, before)).toBeUndefined();
  });

  it('a declared counter with no matching series counted nothing: rate 0', () => {
    expect(value('rate(req_total{status="418"})', after, before)).toBe(0);
    const declaredOnly = (t: number) => scrape('# HELP errors_total Errors.\n# TYPE errors_total counter\n', t);
    expect(value('rate(errors_total)', declaredOnly(2_000), declaredOnly(1_000))).toBe(0);
  });

  it('a zero denominator is no value, never NaN or Infinity', () => {
    const idle = scrape('req_total{status="200"} 150\nreq_total{status="500"} 20\nreq_total{status="503"} 5', 16_000);
    expect(value('rate(req_total{status=~"5.."}) / rate(req_total)', idle, after)).toBeUndefined();
    expect(value('inflight / 0', after)).toBeUndefined();
    expect(value('rate(req_total) * 60', idle, after)).toBe(0);
  });

  it('no elapsed time is no rate', () => {
    expect(value('rate(req_total)', after, { ...after })).toBeUndefined();
  });

  it('a NaN gauge is absent', () => {
    expect(value('g', scrape('g NaN', 1))).toBeUndefined();
  });

  describe('quantile', () => {
    const h = (counts: [string, number][], labels = '') => counts.map(([le, n]) => `lat_bucket{${labels}le="${le}"} ${n}`).join('\n');
    const t0 = scrape(['# TYPE lat histogram', h([['0.1', 100], ['0.5', 200], ['+Inf', 200]])].join('\n'), 0);

    it('comes from the bucket increases between the scrapes, interpolated inside the bucket', () => {
      // Between the scrapes: 10 observations <= 0.1 and 10 in (0.1, 0.5].
      const t1 = scrape(h([['0.1', 110], ['0.5', 220], ['+Inf', 220]]), 1_000);
      expect(value('quantile(0.5, lat)', t1, t0)).toBeCloseTo(0.1, 12);
      expect(value('quantile(0.75, lat)', t1, t0)).toBeCloseTo(0.3, 12);
      expect(value('quantile(0.75, lat) * 1000', t1, t0)).toBeCloseTo(300, 9);
    });

    it('sums buckets per le over the matching series, and reads OpenMetrics le="1.0" as le="1"', () => {
      const a0 = scrape([h([['1', 0], ['+Inf', 0]], 'pod="a",'), h([['1.0', 0], ['+Inf', 0]], 'pod="b",')].join('\n'), 0);
      const a1 = scrape([h([['1', 4], ['+Inf', 4]], 'pod="a",'), h([['1.0', 4], ['+Inf', 8]], 'pod="b",')].join('\n'), 1_000);
      // 8 observations <= 1 out of 12: the median is in the first bucket, p90 in +Inf -> the highest finite bound.
      expect(value('quantile(0.5, lat)', a1, a0)).toBeCloseTo(0.75, 12);
      expect(value('quantile(0.9, lat)', a1, a0)).toBe(1);
      expect(value('quantile(0.9, lat{pod="a"})', a1, a0)).toBeCloseTo(0.9, 12);
    });

    it('no observation in between is no value', () => {
      expect(value('quantile(0.5, lat)', { ...t0, takenAt: 1_000 }, t0)).toBeUndefined();
    });

    it('handles a histogram reset', () => {
      const restarted = scrape(h([['0.1', 0], ['0.5', 4], ['+Inf', 4]]), 2_000);
      expect(value('quantile(0.5, lat)', restarted, t0)).toBeCloseTo(0.3, 12);
    });
  });
});

describe('bucketQuantile (histogram_quantile)', () => {
  const buckets = [
    { upperBound: 0.1, count: 10 },
    { upperBound: 0.5, count: 20 },
    { upperBound: Infinity, count: 20 },
  ];

  it.each([
    [0, 0],
    [0.5, 0.1],
    [0.75, 0.3],
    [1, 0.5],
  ])('q=%d -> %d', (q, expected) => expect(bucketQuantile(q, buckets)).toBeCloseTo(expected, 12));

  it('a rank in the +Inf bucket is the highest finite upper bound', () => {
    expect(bucketQuantile(0.99, [{ upperBound: 0.1, count: 10 }, { upperBound: Infinity, count: 20 }])).toBe(0.1);
  });

  it('a first bucket with a bound <= 0 answers its bound', () => {
    expect(bucketQuantile(0.1, [{ upperBound: -1, count: 5 }, { upperBound: Infinity, count: 10 }])).toBe(-1);
  });

  it('is NaN without +Inf, with one bucket or without observations; ±Inf outside [0, 1]', () => {
    expect(bucketQuantile(0.5, [{ upperBound: 0.1, count: 1 }, { upperBound: 1, count: 2 }])).toBeNaN();
    expect(bucketQuantile(0.5, [{ upperBound: Infinity, count: 2 }])).toBeNaN();
    expect(bucketQuantile(0.5, [{ upperBound: 1, count: 0 }, { upperBound: Infinity, count: 0 }])).toBeNaN();
    expect(bucketQuantile(-0.1, buckets)).toBe(-Infinity);
    expect(bucketQuantile(1.1, buckets)).toBe(Infinity);
  });

  it('repairs non-monotonic buckets as Prometheus does', () => {
    expect(bucketQuantile(0.5, [{ upperBound: 1, count: 10 }, { upperBound: 2, count: 8 }, { upperBound: Infinity, count: 10 }])).toBeCloseTo(0.5, 12);
  });
});
