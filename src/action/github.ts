/**
 * Optional GitHub integration, with the token given: a sticky PR comment (one per project and env,
 * updated in place on every run) and a deployment status, or a commit status when the workflow was
 * not triggered by a deployment. The API is reached at GITHUB_API_URL (GitHub Enterprise, tests).
 */
import * as github from '@actions/github';
import type { VerdictReport } from '../core/types.js';
import { COMMENT_LIMIT, renderMarkdown } from '../output/markdown.js';

type Octokit = ReturnType<typeof github.getOctokit>;

export interface GitHubTarget {
  token: string;
  comment: boolean;
  status: boolean;
}

/** What was done, for the log; failures are returned, not thrown: the verdict decides the step, not the API. */
export async function publish(report: VerdictReport, target: GitHubTarget): Promise<string[]> {
  const octokit = github.getOctokit(target.token, { baseUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com' });
  const ctx = github.context;
  const done: string[] = [];
  if (target.comment) {
    const number = ctx.payload.pull_request?.number ?? (ctx.payload.issue?.pull_request ? ctx.payload.issue.number : undefined);
    if (number === undefined) done.push('no pull request in this event: no comment');
    else done.push(await stickyComment(octokit, number, report));
  }
  if (target.status) done.push(await verdictStatus(octokit, report));
  return done;
}

export function commentMarker(report: Pick<VerdictReport, 'project' | 'env'>): string {
  return `<!-- seqpulse:${encodeURIComponent(report.project)}:${encodeURIComponent(report.env)} -->`;
}

async function stickyComment(octokit: Octokit, issue: number, report: VerdictReport): Promise<string> {
  const { owner, repo } = github.context.repo;
  const marker = commentMarker(report);
  const body = `${marker}\n${renderMarkdown(report, { maxChars: COMMENT_LIMIT, level: 3 })}`;
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: issue, per_page: 100 });
  const mine = comments.find((c) => c.body?.startsWith(marker));
  if (mine) {
    await octokit.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
    return `updated comment ${mine.id} on #${issue}`;
  }
  const created = await octokit.rest.issues.createComment({ owner, repo, issue_number: issue, body });
  return `commented on #${issue} (${created.data.id})`;
}

async function verdictStatus(octokit: Octokit, report: VerdictReport): Promise<string> {
  const { owner, repo } = github.context.repo;
  // GitHub caps status descriptions at 140 characters.
  const description = `${report.verdict ?? 'no verdict'}: ${report.summary}`.slice(0, 140);
  const state = report.verdict === 'rollback_recommended' ? 'failure' : report.verdict === null ? 'error' : 'success';
  const deployment = github.context.payload.deployment as { id?: number } | undefined;
  if (deployment?.id !== undefined) {
    await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: deployment.id, state, description, environment: report.env });
    return `deployment ${deployment.id} status ${state}`;
  }
  const context = `seqpulse/${report.project}/${report.env}`;
  await octokit.rest.repos.createCommitStatus({ owner, repo, sha: github.context.sha, state, description, context });
  return `commit status ${context} ${state} on ${github.context.sha.slice(0, 7)}`;
}
