/**
 * Optional GitHub integration, with the token given: a sticky PR comment (one per project and env,
 * updated in place on every run) and a deployment status, or a commit status when the workflow was
 * not triggered by a deployment. The API is reached at GITHUB_API_URL (GitHub Enterprise, tests),
 * through HTTPS_PROXY/HTTP_PROXY unless NO_PROXY (or a loopback address) says not.
 *
 * Bounded: the verdict is out already, and the step must end. Every request of the comment and the
 * status together has PUBLISH_BUDGET_MS, whatever the API does (never answers, or drips its answer
 * a byte at a time, which no idle timeout notices); at the deadline the requests are aborted and
 * their connections destroyed.
 */
import * as github from '@actions/github';
import { TransformStream } from 'node:stream/web';
import { EnvHttpProxyAgent, fetch as undiciFetch, Response, type Dispatcher } from 'undici';
import { formatDuration } from '../config/duration.js';
import type { VerdictReport } from '../core/types.js';
import { ExitCode } from '../errors.js';
import { withDeadline } from '../deadline.js';
import { boundedConnect } from '../net/lookup.js';
import { COMMENT_LIMIT, renderMarkdown } from '../output/markdown.js';
import { cutTo, wellFormed } from '../unicode.js';

type Octokit = ReturnType<typeof github.getOctokit>;

/** What publishing may take, all requests together: GitHub answers in well under a second when it answers at all. */
export const PUBLISH_BUDGET_MS = 30_000;

export interface GitHubTarget {
  token: string;
  comment: boolean;
  status: boolean;
}

/** What was done, for the log. A failure (refused, or no answer within the budget) is thrown: the caller warns, the verdict decides the step. */
export async function publish(report: VerdictReport, target: GitHubTarget): Promise<string[]> {
  const baseUrl = process.env.GITHUB_API_URL ?? 'https://api.github.com';
  const dispatcher = apiDispatcher(PUBLISH_BUDGET_MS);
  const deadline = new AbortController();
  // Our own fetch: the default one has no deadline, and its connections no lookup that ends.
  // Octokit reads a body that failed as an empty answer: what cut it off is kept, and said.
  const cut: string[] = [];
  const fetch = async (url: string, init: Record<string, unknown>) => capped(await undiciFetch(url, { ...init, dispatcher, signal: deadline.signal }), MAX_ANSWER_BYTES, cut);
  const octokit = github.getOctokit(target.token, { baseUrl, request: { fetch } });
  const answered = () => {
    if (cut.length > 0) throw new Error(cut.splice(0).join('; '));
  };
  try {
    return await withDeadline(publishWith(octokit, report, target, answered), PUBLISH_BUDGET_MS, () => {
      deadline.abort();
      return new Error(`the GitHub API at ${baseUrl} did not answer within ${formatDuration(PUBLISH_BUDGET_MS)}`);
    });
  } finally {
    // Nothing is left open behind the step: a connection still waiting on the API goes now.
    dispatcher.destroy().catch(() => undefined);
  }
}

/**
 * An answer of the API is a page of comments or what it made: far under this. A peer sending
 * without end (within the budget, on a fast link: gigabytes) fails its request here instead of
 * filling the runner's memory.
 */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
/** Pages of a PR's comments read to find seqpulse's earlier one (100 each): an API announcing a next page for ever is read this far. */
export const MAX_COMMENT_PAGES = 30;

/** `response` whose body fails past `max` bytes, said in `cut`. */
function capped(response: Response, max: number, cut: string[]): Response {
  if (response.body === null) return response;
  let seen = 0;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk: Uint8Array, controller) {
        seen += chunk.byteLength;
        if (seen <= max) return controller.enqueue(chunk);
        const said = `the answer to ${new URL(response.url).pathname} was larger than ${max / 1024 / 1024} MiB`;
        cut.push(said);
        controller.error(new Error(said));
      },
    }),
  );
  const limited = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  // Octokit reports the URL it was answered from.
  Object.defineProperty(limited, 'url', { value: response.url });
  return limited;
}

/** The comment and the status, each tried whatever became of the other (a refused comment cost the status too). */
async function publishWith(octokit: Octokit, report: VerdictReport, target: GitHubTarget, answered: () => void): Promise<string[]> {
  const ctx = github.context;
  const done: string[] = [];
  const failed: string[] = [];
  const attempt = async (what: string, step: () => Promise<string>) => {
    try {
      const result = await step();
      answered();
      done.push(result);
    } catch (err) {
      failed.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  if (target.comment) {
    const number = ctx.payload.pull_request?.number ?? (ctx.payload.issue?.pull_request ? ctx.payload.issue.number : undefined);
    if (number === undefined) done.push('no pull request in this event: no comment');
    else await attempt('comment', () => stickyComment(octokit, number, report, answered));
  }
  if (target.status) await attempt('status', () => verdictStatus(octokit, report));
  if (failed.length > 0) throw new Error(`${failed.join('; ')}${done.length > 0 ? ` (done: ${done.join('; ')})` : ''}`);
  return done;
}

/**
 * Connections to the API (or its proxy): a connect timeout, a lookup that ends (net/lookup.ts),
 * TCP keepalive, and timeouts for the headers and between body chunks, each within the budget.
 */
function apiDispatcher(budgetMs: number): Dispatcher {
  const connect = boundedConnect(budgetMs);
  const noProxy = process.env.no_proxy ?? process.env.NO_PROXY ?? '';
  return new EnvHttpProxyAgent({
    connect,
    proxyTls: connect,
    headersTimeout: budgetMs,
    bodyTimeout: budgetMs,
    // As @actions/http-client (what @actions/github uses by default) decides: a loopback API never goes through the proxy.
    noProxy: noProxy.trim() === '*' ? '*' : [noProxy, 'localhost', '127.0.0.1', '[::1]'].filter(Boolean).join(','),
  });
}

export function commentMarker(report: Pick<VerdictReport, 'project' | 'env'>): string {
  return `<!-- seqpulse:${encodeURIComponent(report.project)}:${encodeURIComponent(report.env)} -->`;
}

async function stickyComment(octokit: Octokit, issue: number, report: VerdictReport, answered: () => void): Promise<string> {
  const { owner, repo } = github.context.repo;
  const marker = commentMarker(report);
  const body = `${marker}\n${renderMarkdown(report, { maxBytes: COMMENT_LIMIT, level: 3 })}`;
  let pages = 0;
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: issue, per_page: 100 }, (response, done) => {
    if (++pages >= MAX_COMMENT_PAGES) done();
    return response.data;
  });
  // A listing cut off is no listing: a comment made on it could be a second one.
  answered();
  // The marker is in every earlier comment for anyone to copy: only one this token's account (or a
  // bot, as seqpulse posts with the workflow's token) wrote is updated, never another user's.
  const marked = comments.filter((c) => c.body?.startsWith(marker));
  const self = marked.some((c) => c.user?.type !== 'Bot') ? await tokenLogin(octokit) : undefined;
  const mine = marked.find((c) => c.user?.type === 'Bot' || (self !== undefined && c.user?.login === self));
  if (mine) {
    await octokit.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
    return `updated comment ${mine.id} on #${issue}`;
  }
  const created = await octokit.rest.issues.createComment({ owner, repo, issue_number: issue, body });
  return `commented on #${issue} (${created.data.id})`;
}

/** The login of a user's token; undefined for an app's (the workflow's GITHUB_TOKEN), whose comments are a bot's. */
async function tokenLogin(octokit: Octokit): Promise<string | undefined> {
  try {
    return (await octokit.rest.users.getAuthenticated()).data.login;
  } catch {
    return undefined;
  }
}

async function verdictStatus(octokit: Octokit, report: VerdictReport): Promise<string> {
  const { owner, repo } = github.context.repo;
  // GitHub caps status descriptions at 140 characters (cut whole: half an emoji is not text the API takes).
  const description = cutTo(wellFormed(`${report.verdict ?? 'no verdict'}: ${report.summary}`), 140);
  // A failure wherever the step fails on the verdict (an attention with fail-on: attention was a green
  // status on a red step, passing a required check) or the verdict is a rollback (fail-on: never keeps
  // the step green, not the status); a dry run's is the verdict it would have failed on.
  const failsStep = (report.dry_run?.exit_code ?? report.exit_code) === ExitCode.Regression;
  const state = report.verdict === null ? 'error' : report.verdict === 'rollback_recommended' || failsStep ? 'failure' : 'success';
  const deployment = github.context.payload.deployment as { id?: number } | undefined;
  if (deployment?.id !== undefined) {
    await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: deployment.id, state, description, environment: report.env });
    return `deployment ${deployment.id} status ${state}`;
  }
  const context = `seqpulse/${report.project}/${report.env}`;
  await octokit.rest.repos.createCommitStatus({ owner, repo, sha: github.context.sha, state, description, context });
  return `commit status ${context} ${state} on ${github.context.sha.slice(0, 7)}`;
}
