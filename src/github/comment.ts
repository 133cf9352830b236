// The sticky pull-request comment: one per workflow and suite, found again by a hidden marker,
// created the first time and updated in place afterwards. The body comes from a pure function
// (report/comment.ts); this is the thin part that talks to the API, and it never fails the gate.
import type { RunContext } from './context.js';
import { ACTIONS_BOT, rateLimitMessage, sameLogin, tokenLogin, type OctokitIssues } from './octokit.js';

export interface IssueComment {
  id: number;
  body: string;
  /** Its author's login, as REST gives it ("github-actions[bot]" for the workflow's token). */
  login: string;
  url: string;
}

/** The few REST calls the comment needs, so tests can aim them at a local server through octokit. */
export interface CommentApi {
  /** Who the token writes as; null when it cannot be found out. */
  login(): Promise<string | null>;
  listComments(issue: number): Promise<IssueComment[]>;
  createComment(issue: number, body: string): Promise<IssueComment>;
  updateComment(id: number, body: string): Promise<IssueComment>;
}

import type { CommentMode } from '../config/schema.js';

export interface CommentOutcome {
  status: 'created' | 'updated' | 'skipped' | 'not-allowed' | 'failed';
  message: string;
  url: string | null;
}

function asComment(data: unknown): IssueComment {
  const entry = data as { id: number; body?: string | null; html_url?: string; user?: { login?: string } | null };
  return { id: entry.id, body: entry.body ?? '', login: entry.user?.login ?? '', url: entry.html_url ?? '' };
}

export function octokitCommentApi(octokit: OctokitIssues, owner: string, repo: string): CommentApi {
  return {
    login: () => tokenLogin(octokit),
    // Every page: the earlier comment may be far down a long discussion.
    listComments: async (issue) =>
      (
        await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: issue, per_page: 100 })
      ).map(asComment),
    createComment: async (issue, body) =>
      asComment((await octokit.rest.issues.createComment({ owner, repo, issue_number: issue, body })).data),
    updateComment: async (id, body) =>
      asComment((await octokit.rest.issues.updateComment({ owner, repo, comment_id: id, body })).data),
  };
}

function status(error: unknown): number | undefined {
  const value = (error as { status?: unknown }).status;
  return typeof value === 'number' ? value : undefined;
}

export async function publishComment(options: {
  api: CommentApi | null;
  context: RunContext;
  mode: CommentMode;
  marker: string;
  body: string;
  regressed: boolean;
}): Promise<CommentOutcome> {
  const { api, context, mode, marker, body, regressed } = options;
  const skip = (message: string): CommentOutcome => ({ status: 'skipped', message, url: null });
  if (mode === 'never') return skip('No pull-request comment: comment is "never".');
  if (!context.pullRequest)
    return skip(
      `No pull-request comment: this run was started by ${context.eventName || 'something other than a pull request'}; the job summary has the tables.`,
    );
  if (context.pullRequest.fromFork) {
    return {
      status: 'not-allowed',
      message:
        'No pull-request comment: this pull request comes from a fork, whose token is read-only and has no secrets; the job summary has the tables.',
      url: null,
    };
  }
  if (!api) return skip('No pull-request comment: no github-token was given.');
  try {
    // Ours: written by this token's identity and starting with our marker; another bot's, or a
    // comment quoting the marker, is left alone.
    const me = (await api.login()) ?? ACTIONS_BOT;
    const existing = (await api.listComments(context.pullRequest.number)).find(
      (comment) => sameLogin(comment.login, me) && comment.body.startsWith(marker),
    );
    // on-regression: comment when something regressed, and keep an earlier comment up to date so it never shows stale bad news.
    if (mode === 'on-regression' && !regressed && !existing)
      return skip('No pull-request comment: nothing regressed (comment is "on-regression").');
    if (existing) {
      const updated = await api.updateComment(existing.id, body);
      return { status: 'updated', message: `Updated the model-gate comment: ${updated.url}`, url: updated.url };
    }
    const created = await api.createComment(context.pullRequest.number, body);
    return { status: 'created', message: `Commented on the pull request: ${created.url}`, url: created.url };
  } catch (error) {
    const limited = rateLimitMessage(error);
    if (limited)
      return {
        status: 'failed',
        message: `No pull-request comment: ${limited}; the gate result is unchanged.`,
        url: null,
      };
    if (status(error) === 403 || status(error) === 401) {
      return {
        status: 'not-allowed',
        message: `No pull-request comment: the token may not write comments (HTTP ${status(error)}). Give the job "permissions: pull-requests: write", or set comment to "never"; the gate result is unchanged.`,
        url: null,
      };
    }
    return {
      status: 'failed',
      message: `The pull-request comment could not be written (${(error as Error).message.split('\n')[0]}); the gate result is unchanged.`,
      url: null,
    };
  }
}
