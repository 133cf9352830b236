// What the run is, from the variables and event file GitHub gives a step: the repository, the pull
// request (and whether it comes from a fork), and the run's address. Read once, by the shell.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const eventSchema = z.object({
  pull_request: z
    .object({
      number: z.number().int(),
      head: z.object({ repo: z.object({ full_name: z.string() }).nullable().optional() }),
      base: z.object({ repo: z.object({ full_name: z.string() }) }),
    })
    .optional(),
});

export interface RunContext {
  eventName: string;
  repository: { owner: string; repo: string } | null;
  pullRequest: { number: number; fromFork: boolean } | null;
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
        }
      : null,
    runUrl:
      env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
        ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : null,
    workflow: env.GITHUB_WORKFLOW ?? 'model-gate',
  };
}
