/**
 * A stand-in for the GitHub REST API on 127.0.0.1 (the Action reaches it through GITHUB_API_URL):
 * the issue-comment, commit-status and deployment-status endpoints the Action uses, with state, so
 * a second run sees the comment the first one made, written as the workflow token's bot (and a
 * user's comment is not its to edit). Records every request.
 *
 * Or, for the Action's deadline, an API that stops answering: `never` reads each request and says
 * nothing (a frozen server: the connection stays open), `drip` sends a status line, headers and
 * then one byte of its body every 300 ms for ever (no idle timeout ever fires). Or one that answers
 * without end: `flood` sends the comments of a PR as one page that never ends, as fast as they are
 * read; `pages` gives every page of comments a next one.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ApiRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown> | null;
}

/** A comment as the API gives it: who wrote it (the workflow's token writes as a bot). */
export interface FakeComment {
  /** A number, as GitHub's; a string from an API started with `idSuffix`. */
  id: number | string;
  body: string;
  user: { login: string; type: 'Bot' | 'User' };
}

/** The account the workflow's GITHUB_TOKEN writes as. */
export const ACTIONS_BOT = { login: 'github-actions[bot]', type: 'Bot' } as const;

export interface FakeGitHub {
  url: string;
  requests: ApiRequest[];
  comments: FakeComment[];
  close(): Promise<void>;
}

/**
 * `idSuffix`: the ids it gives what it creates are strings, the number and then this (an API, or
 * something in its place, answering what it likes).
 */
export async function startFakeGitHub(opts: { answer?: 'never' | 'drip' | 'flood' | 'pages'; idSuffix?: string } = {}): Promise<FakeGitHub> {
  const api = { requests: [] as ApiRequest[], comments: [] as FakeComment[] } as FakeGitHub;
  let lastId = 999;
  const nextId = () => (opts.idSuffix === undefined ? ++lastId : `${++lastId}${opts.idSuffix}`);
  const drips = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
      api.requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });
      if (opts.answer === 'never') return;
      if (opts.answer === 'drip') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000000' });
        res.write('{"id":');
        const drip = setInterval(() => res.write(' '), 300);
        drips.add(drip);
        res.on('close', () => (clearInterval(drip), drips.delete(drip)));
        return;
      }
      const send = (status: number, data: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(data));
      };
      let m: RegExpExecArray | null;
      const listing = req.method === 'GET' && /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(path);
      if (listing && opts.answer === 'flood') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const comment = `${JSON.stringify({ id: 1, body: 'x'.repeat(4000), user: { login: 'someone', type: 'User' } })},`;
        res.write('[');
        const more = () => {
          while (!res.destroyed && res.write(comment));
        };
        res.on('drain', more);
        more();
        return;
      }
      if (listing && opts.answer === 'pages') {
        const page = Number(new URL(req.url ?? '', 'http://x').searchParams.get('page') ?? 1);
        res.writeHead(200, { 'content-type': 'application/json', link: `<${api.url}${path}?per_page=100&page=${page + 1}>; rel="next"` });
        return res.end(JSON.stringify([{ id: page, body: 'an earlier comment', user: { login: 'someone', type: 'User' } }]));
      }
      if (listing) return send(200, api.comments);
      if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(path)) {
        const comment: FakeComment = { id: nextId(), body: String(body?.body), user: { ...ACTIONS_BOT } };
        api.comments.push(comment);
        return send(201, comment);
      }
      if (req.method === 'PATCH' && (m = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(path))) {
        const comment = api.comments.find((c) => c.id === Number(m![1]));
        if (!comment) return send(404, { message: 'Not Found' });
        // As GitHub: the workflow's token may not edit a comment another user wrote.
        if (comment.user.type !== 'Bot') return send(403, { message: 'Resource not accessible by integration' });
        comment.body = String(body?.body);
        return send(200, comment);
      }
      // An installation token (the workflow's) has no user of its own.
      if (req.method === 'GET' && path === '/user') return send(403, { message: 'Resource not accessible by integration' });
      if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/statuses\/\w+$/.test(path)) return send(201, { id: nextId(), ...body });
      if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/deployments\/\d+\/statuses$/.test(path)) return send(201, { id: nextId(), ...body });
      send(404, { message: 'Not Found' });
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.close = () =>
    new Promise<void>((r) => {
      for (const drip of drips) clearInterval(drip);
      for (const socket of sockets) socket.destroy();
      server.close(() => r());
    });
  return api;
}
