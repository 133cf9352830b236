// A pull request's run context, as readRunContext gives it, for tests of the GitHub adapters.
import type { PullRequestContext } from '../../src/github/context.js';

export const pullRequest = (number: number, changes: Partial<PullRequestContext> = {}): PullRequestContext => ({
  number,
  fromFork: false,
  baseSha: null,
  headSha: null,
  labels: [],
  action: null,
  addedLabel: null,
  sender: null,
  before: null,
  ...changes,
});
