/**
 * A local node:http server answering like a Prometheus server's HTTP API, with the exact JSON
 * shapes Prometheus returns (recorded from Prometheus 2.42): success vectors, scalars and
 * matrices, empty results, NaN, `status: "error"` with `errorType`, warnings and infos.
 * Each PromQL string is given a script of answers; the last one repeats.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  status?: number;
  /** The JSON body; a function gets the request's parameters (for range queries). */
  body?: unknown | ((params: URLSearchParams) => unknown);
  /** A raw body instead of JSON (e.g. an HTML error page from a proxy). */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  /** Never answer. */
  hang?: boolean;
}

export interface ApiRequest {
  path: string;
  params: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** When it arrived (epoch ms). */
  at: number;
}

export interface RecordedApi {
  url: string;
  requests: ApiRequest[];
  /** Requests for one PromQL string. */
  requestsFor(query: string): ApiRequest[];
  close(): Promise<void>;
}

export const vector = (value: string, metric: Record<string, string> = {}) => ({
  status: 'success',
  data: { resultType: 'vector', result: [{ metric, value: [1763990000.123, value] }] },
});
export const scalar = (value: string) => ({ status: 'success', data: { resultType: 'scalar', result: [1763990000.123, value] } });
export const emptyVector = { status: 'success', data: { resultType: 'vector', result: [] } };
export const apiError = (errorType: string, error: string) => ({ status: 'error', errorType, error });

/** A matrix with one point per step from `start` to `end`; `value(t)` (t in seconds) undefined leaves the point out. */
export const matrix =
  (value: (t: number) => string | undefined, metric: Record<string, string> = {}) =>
  (params: URLSearchParams) => {
    const start = Number(params.get('start'));
    const end = Number(params.get('end'));
    const step = Number(params.get('step'));
    const values: Array<[number, string]> = [];
    for (let t = start; t <= end + 1e-9; t += step) {
      const rounded = Math.round(t * 1000) / 1000;
      const v = value(rounded);
      if (v !== undefined) values.push([rounded, v]);
    }
    return { status: 'success', data: { resultType: 'matrix', result: values.length > 0 ? [{ metric, values }] : [] } };
  };

export async function startRecordedApi(script: Record<string, Answer[]>, prefix = ''): Promise<RecordedApi> {
  const requests: ApiRequest[] = [];
  const served = new Map<string, number>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const params = url.searchParams;
    requests.push({ path: url.pathname, params, headers: req.headers, at: Date.now() });
    if (url.pathname !== `${prefix}/api/v1/query` && url.pathname !== `${prefix}/api/v1/query_range`) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    const query = params.get('query') ?? '';
    const answers = script[query];
    if (!answers) {
      const body = apiError('bad_data', `invalid parameter "query": unknown query in test script: ${query}`);
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    const n = served.get(query) ?? 0;
    served.set(query, n + 1);
    const answer = answers[Math.min(n, answers.length - 1)]!;
    if (answer.hang) return;
    const body = answer.raw ?? JSON.stringify(typeof answer.body === 'function' ? (answer.body as (p: URLSearchParams) => unknown)(params) : answer.body);
    res.writeHead(answer.status ?? 200, { 'content-type': answer.raw ? 'text/html' : 'application/json', ...answer.headers }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`;
  return {
    url,
    requests,
    requestsFor: (query) => requests.filter((r) => r.params.get('query') === query),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
