// The trusted baselines of a pull request (see src/lib/trusted.ts): read at the base commit with
// git when the checkout has it, otherwise through the contents API; accepted by a reviewer's label,
// for the baselines as they were when the label was added. The client's fetch bounds every call
// (a deadline, a size cap) and the job's cancellation ends it.
import { resolve } from 'node:path';
import { baselineError, errorMessage } from '../lib/errors.js';
import { gitHasCommit, gitReader, repositoryPath, type Acceptance, type TrustedBaselines } from '../lib/trusted.js';
import type { PullRequestContext, RunContext } from './context.js';
import type { OctokitIssues } from './octokit.js';

type Reader = (ref: string, path: string) => Promise<string | undefined>;

/** A file at a commit through GET /repos/{owner}/{repo}/contents/{path}?ref=, its raw bytes. */
function contentsReader(octokit: OctokitIssues, owner: string, repo: string, workspace: string): Reader {
  return async (ref, path) => {
    try {
      const { data } = await octokit.rest.repos.getContent({
        owner,
        repo,
        path: repositoryPath(workspace, path),
        ref,
        mediaType: { format: 'raw' },
      });
      return typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer).toString('utf8');
    } catch (error) {
      if ((error as { status?: unknown }).status === 404) return undefined;
      throw baselineError(
        `The baseline ${path} at commit ${ref} could not be read through the GitHub API (${errorMessage(error).split('\n')[0]}). Give the job "permissions: contents: read", or check out the base commit (actions/checkout with fetch-depth: 0).`,
      );
    }
  };
}

/** Who added the label: the event's sender when this run is that event, otherwise the newest labelling. */
async function labelledBy(
  pr: PullRequestContext,
  label: string,
  octokit: OctokitIssues | null,
  repository: RunContext['repository'],
): Promise<string | null> {
  if (pr.action === 'labeled' && pr.addedLabel === label) return pr.sender;
  if (!octokit || !repository) return null;
  try {
    const events = (await octokit.paginate(octokit.rest.issues.listEvents, {
      ...repository,
      issue_number: pr.number,
      per_page: 100,
    })) as { event?: string; label?: { name?: string }; actor?: { login?: string } | null }[];
    const labelled = events.filter((event) => event.event === 'labeled' && event.label?.name === label).at(-1);
    return labelled?.actor?.login ?? null;
  } catch {
    return null;
  }
}

export async function pullRequestTrust(options: {
  context: RunContext;
  octokit: OctokitIssues | null;
  acceptLabel: string;
  /** The baseline-ref input: overrides the base commit when given. */
  baselineRef: string;
  /** The top of the checkout (GITHUB_WORKSPACE); relative baseline paths start at the working directory. */
  workspace: string;
}): Promise<TrustedBaselines | undefined> {
  const { context, octokit, acceptLabel, workspace } = options;
  const pr = context.pullRequest;
  const ref = options.baselineRef || pr?.baseSha || '';
  if (!ref) return undefined;
  const api =
    octokit && context.repository
      ? contentsReader(octokit, context.repository.owner, context.repository.repo, workspace)
      : null;
  // git where the checkout has the commit (a shallow one may not), the contents API otherwise;
  // which one is decided once per commit.
  const gitReaders = new Map<string, Promise<((path: string) => Promise<string | undefined>) | null>>();
  const readAt: Reader = async (at, path) => {
    if (!gitReaders.has(at))
      gitReaders.set(
        at,
        gitHasCommit(workspace, at).then((has) => (has ? gitReader(workspace, at) : null)),
      );
    const git = await gitReaders.get(at);
    if (git) return git(path);
    if (api) return api(at, path);
    throw baselineError(
      `The baselines at ${at} cannot be read: the checkout does not have that commit and no github-token was given. Check out with fetch-depth: 0, or give github-token (the workflow's own token with contents: read).`,
    );
  };
  const source = pr && !options.baselineRef ? `the base commit ${ref.slice(0, 7)}` : `revision ${ref}`;
  const accepted = pr !== null && (pr.labels.includes(acceptLabel) || pr.addedLabel === acceptLabel);
  const acceptance: Acceptance | null = accepted
    ? { label: acceptLabel, by: await labelledBy(pr, acceptLabel, octokit, context.repository) }
    : null;
  return {
    source,
    read: (path) => readAt(ref, resolve(path)),
    acceptance,
    // A push after the label was added may change the baselines again: the label then no longer covers them.
    acceptanceCovers: async (path) => {
      if (!pr || pr.action !== 'synchronize' || !pr.before || !pr.headSha) return true;
      const [before, after] = await Promise.all([readAt(pr.before, resolve(path)), readAt(pr.headSha, resolve(path))]);
      return before === after;
    },
    howToAccept: pr
      ? `add the label ${acceptLabel} to the pull request after its last change to the baselines (or remove it and add it again).`
      : `run without baseline-ref, which compares with the working tree's baselines.`,
  };
}
