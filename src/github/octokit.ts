// The part of octokit the comment, the tracking issue and the trusted baselines use, so each adapter can be handed the
// real client (or any client with the same shape) without depending on octokit's full types.
export interface OctokitIssues {
  graphql: (query: string, parameters?: Record<string, unknown>) => Promise<unknown>;
  paginate: (route: unknown, parameters: Record<string, unknown>) => Promise<unknown[]>;
  rest: {
    issues: {
      listComments: unknown;
      listForRepo: unknown;
      create: (parameters: Record<string, unknown>) => Promise<{ data: unknown }>;
      update: (parameters: Record<string, unknown>) => Promise<{ data: unknown }>;
      createComment: (parameters: Record<string, unknown>) => Promise<{ data: unknown }>;
      updateComment: (parameters: Record<string, unknown>) => Promise<{ data: unknown }>;
      listEvents: unknown;
    };
    repos: {
      getContent: (parameters: Record<string, unknown>) => Promise<{ data: unknown }>;
    };
  };
}

/** The login that GITHUB_TOKEN writes as; the identity assumed when the token cannot say. */
export const ACTIONS_BOT = 'github-actions[bot]';

/**
 * Who the token writes as: a user's login for a personal token, the app's bot for an app or the
 * workflow's token (GraphQL's viewer answers for all of them, without "[bot]").
 */
export async function tokenLogin(octokit: OctokitIssues): Promise<string | null> {
  try {
    const data = (await octokit.graphql('query { viewer { login } }')) as { viewer?: { login?: unknown } };
    return typeof data.viewer?.login === 'string' ? data.viewer.login : null;
  } catch {
    return null;
  }
}

/** Two logins of one identity: REST names a bot "name[bot]", GraphQL's viewer "name". */
export const sameLogin = (a: string, b: string) =>
  a.replace(/\[bot\]$/, '').toLowerCase() === b.replace(/\[bot\]$/, '').toLowerCase();

/** A refusal that is GitHub's rate limit, not a missing permission, in words; null otherwise. */
export function rateLimitMessage(error: unknown): string | null {
  const { status, response, message } = error as {
    status?: unknown;
    message?: unknown;
    response?: { headers?: Record<string, string | undefined> };
  };
  const headers = response?.headers ?? {};
  const limited =
    status === 429 ||
    (status === 403 &&
      (headers['x-ratelimit-remaining'] === '0' || (typeof message === 'string' && /rate limit/i.test(message))));
  if (!limited) return null;
  const reset = Number(headers['x-ratelimit-reset']);
  const when =
    Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString().slice(11, 16)} UTC` : '';
  return `GitHub's API rate limit was reached (HTTP ${String(status)})${when}`;
}
