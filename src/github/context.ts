// What the run is, from the variables and event file GitHub gives a step: the repository, the pull
// request (and whether it comes from a fork), and the run's address. Read once, by the shell.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const eventSchema = z.object({
  action: z.string().optional(),
  /** synchronize: the head before the push. */
  before: z.string().optional(),
  label: z.object({ name: z.string() }).optional(),
  sender: z.object({ login: z.string() }).optional(),
  pull_request: z
    .object({
      number: z.number().int(),
      head: z.object({ sha: z.string().optional(), repo: z.object({ full_name: z.string() }).nullable().optional() }),
      base: z.object({ sha: z.string().optional(), repo: z.object({ full_name: z.string() }) }),
      labels: z.array(z.object({ name: z.string() })).optional(),
    })
    .optional(),
});

export interface PullRequestContext {
  number: number;
  fromFork: boolean;
  /** The base commit, whose baselines the gate trusts. */
  baseSha: string | null;
  headSha: string | null;
  labels: string[];
  /** The event's action (opened, synchronize, labeled, …), the label it added, and who caused it. */
  action: string | null;
  addedLabel: string | null;
  sender: string | null;
  /** synchronize: the head before the push. */
  before: string | null;
}

export interface RunContext {
  eventName: string;
  repository: { owner: string; repo: string } | null;
  pullRequest: PullRequestContext | null;
  runUrl: string | null;
  workflow: string;
}

export function readRunContext(env: Record<string, string | undefined>): RunContext {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  let event: z.infer<typeof eventSchema> = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      event = eventSchema.parse(JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')));
    } catch {
      event = {};
    }
  }
  const pr = event.pull_request;
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  return {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    repository: owner && repo ? { owner, repo } : null,
    pullRequest: pr
      ? {
          number: pr.number,
          fromFork: Boolean(pr.head.repo && pr.head.repo.full_name !== pr.base.repo.full_name) || !pr.head.repo,
          baseSha: pr.base.sha ?? null,
          headSha: pr.head.sha ?? null,
          labels: (pr.labels ?? []).map((label) => label.name),
          action: event.action ?? null,
          addedLabel: event.label?.name ?? null,
          sender: event.sender?.login ?? null,
          before: event.before ?? null,
        }
      : null,
    runUrl:
      env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
        ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : null,
    workflow: env.GITHUB_WORKFLOW ?? 'model-gate',
  };
}
