// One tracking issue for the nightly gate: opened (or updated) when a scheduled or manual run fails,
// closed with a note when it passes again. Like the comment, it never changes the gate's result.
import type { RunContext } from './context.js';
import { ACTIONS_BOT, rateLimitMessage, sameLogin, tokenLogin, type OctokitIssues } from './octokit.js';

export const TRACKING_LABEL = 'model-gate';

export interface TrackedIssue {
  number: number;
  body: string;
  url: string;
  /** Its author's login. */
  login: string;
}

export interface IssueApi {
  /** Who the token writes as; null when it cannot be found out. */
  login(): Promise<string | null>;
  listOpenIssues(label: string): Promise<TrackedIssue[]>;
  createIssue(title: string, body: string, labels: string[]): Promise<TrackedIssue>;
  updateIssue(number: number, fields: { body?: string; state?: 'open' | 'closed' }): Promise<TrackedIssue>;
  commentOnIssue(number: number, body: string): Promise<void>;
}

function asIssue(data: unknown): TrackedIssue & { isPullRequest: boolean } {
  const entry = data as {
    number: number;
    body?: string | null;
    html_url?: string;
    pull_request?: unknown;
    user?: { login?: string } | null;
  };
  return {
    number: entry.number,
    body: entry.body ?? '',
    url: entry.html_url ?? '',
    login: entry.user?.login ?? '',
    isPullRequest: entry.pull_request !== undefined,
  };
}

export function octokitIssueApi(octokit: OctokitIssues, owner: string, repo: string): IssueApi {
  return {
    login: () => tokenLogin(octokit),
    // The issues list includes pull requests; every page is read.
    listOpenIssues: async (label) =>
      (
        await octokit.paginate(octokit.rest.issues.listForRepo, {
          owner,
          repo,
          state: 'open',
          labels: label,
          per_page: 100,
        })
      )
        .map(asIssue)
        .filter((issue) => !issue.isPullRequest),
    createIssue: async (title, body, labels) =>
      asIssue((await octokit.rest.issues.create({ owner, repo, title, body, labels })).data),
    updateIssue: async (number, fields) =>
      asIssue((await octokit.rest.issues.update({ owner, repo, issue_number: number, ...fields })).data),
    commentOnIssue: async (number, body) => {
      await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body });
    },
  };
}

export interface TrackingOutcome {
  status: 'opened' | 'updated' | 'closed' | 'skipped' | 'not-allowed' | 'failed';
  message: string;
  url: string | null;
}

export async function updateTrackingIssue(options: {
  api: IssueApi | null;
  context: RunContext;
  enabled: boolean;
  marker: string;
  /** The run's verdict: fail and error keep the issue open; only pass closes it. */
  verdict: 'pass' | 'fail' | 'no-baseline' | 'incomparable' | 'error';
  body: string;
}): Promise<TrackingOutcome> {
  const { api, context, marker, verdict } = options;
  const failing = verdict === 'fail' || verdict === 'error';
  const skip = (message: string): TrackingOutcome => ({ status: 'skipped', message, url: null });
  if (!options.enabled) return skip('No tracking issue: tracking-issue is false.');
  if (context.eventName !== 'schedule' && context.eventName !== 'workflow_dispatch') return skip('');
  if (!api) return skip('No tracking issue: no github-token was given.');
  try {
    // Ours: opened by this token's identity and starting with our marker, whoever else labels an issue.
    const me = (await api.login()) ?? ACTIONS_BOT;
    const existing = (await api.listOpenIssues(TRACKING_LABEL)).find(
      (issue) => sameLogin(issue.login, me) && issue.body.startsWith(marker),
    );
    const body = `${options.body}\n\nThis issue is kept up to date by model-gate's nightly run${context.runUrl ? ` (latest: ${context.runUrl})` : ''} and closed when the gate passes again.\n`;
    if (failing && existing) {
      const updated = await api.updateIssue(existing.number, { body });
      return {
        status: 'updated',
        message: `The nightly gate still fails: tracking issue updated, ${updated.url}`,
        url: updated.url,
      };
    }
    if (failing) {
      const created = await api.createIssue(`model-gate: the ${context.workflow} gate fails`, body, [TRACKING_LABEL]);
      return {
        status: 'opened',
        message: `The nightly gate fails: tracking issue opened, ${created.url}`,
        url: created.url,
      };
    }
    // Only a real pass closes it: a run that could not be compared says nothing about the regression.
    if (existing && verdict !== 'pass')
      return skip(
        `The run's verdict is ${verdict}, which neither confirms nor clears the failure: the tracking issue stays open, ${existing.url}`,
      );
    if (existing) {
      await api.commentOnIssue(
        existing.number,
        `The gate passes again${context.runUrl ? ` (${context.runUrl})` : ''}: closing.`,
      );
      const closed = await api.updateIssue(existing.number, { state: 'closed' });
      return {
        status: 'closed',
        message: `The gate passes again: tracking issue closed, ${closed.url}`,
        url: closed.url,
      };
    }
    return skip('No tracking issue: the gate passes and none is open.');
  } catch (error) {
    const limited = rateLimitMessage(error);
    if (limited)
      return { status: 'failed', message: `No tracking issue: ${limited}; the gate result is unchanged.`, url: null };
    const status = (error as { status?: unknown }).status;
    if (status === 403 || status === 401) {
      return {
        status: 'not-allowed',
        message: `No tracking issue: the token may not write issues (HTTP ${status}). Give the job "permissions: issues: write", or set tracking-issue to false; the gate result is unchanged.`,
        url: null,
      };
    }
    return {
      status: 'failed',
      message: `The tracking issue could not be updated (${(error as Error).message.split('\n')[0]}); the gate result is unchanged.`,
      url: null,
    };
  }
}
