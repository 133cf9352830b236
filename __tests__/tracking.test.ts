// The nightly tracking issue through a real octokit against the GitHub REST API test server.
import { pullRequest } from './helpers/context.js';
import { afterAll, describe, expect, it } from '@jest/globals';
import { getOctokit } from '@actions/github';
import type { RunContext } from '../src/github/context.js';
import type { OctokitIssues } from '../src/github/octokit.js';
import { octokitIssueApi, updateTrackingIssue } from '../src/github/tracking.js';
import { commentMarkerFor } from '../src/report/comment.js';
import { startGithubServer, stopAllServers } from './helpers/servers.js';

afterAll(stopAllServers);

const marker = commentMarkerFor('nightly/safety-checks');
const nightly: RunContext = {
  eventName: 'schedule',
  repository: { owner: 'acme', repo: 'clinic-bots' },
  pullRequest: null,
  runUrl: 'https://github.com/acme/clinic-bots/actions/runs/11',
  workflow: 'nightly',
};
const apiFor = (url: string, token: string) =>
  octokitIssueApi(getOctokit(token, { baseUrl: url }) as unknown as OctokitIssues, 'acme', 'clinic-bots');

/** The nightly run's update of the tracking issue, with a verdict and a comment body. */
const track = (api: ReturnType<typeof apiFor>, verdict: 'pass' | 'fail' | 'incomparable' | 'no-baseline', body = '') =>
  updateTrackingIssue({ api, context: nightly, enabled: true, marker, verdict, body });

describe('nightly tracking issue', () => {
  it('opens one issue while the gate fails, updates it, and closes it when the gate passes again', async () => {
    const server = await startGithubServer({
      tokens: { ghs_write: 'write' },
      issues: [{ number: 7, title: 'unrelated', body: 'x', labels: ['model-gate'] }],
    });
    const api = apiFor(server.url, 'ghs_write');
    const opened = await track(api, 'fail', `${marker}\n## model-gate: ❌ fail`);
    expect(opened.status).toBe('opened');
    const updated = await track(api, 'fail', `${marker}\n## model-gate: ❌ fail (again)`);
    expect(updated).toMatchObject({ status: 'updated', url: opened.url });
    let { issues } = await server.state();
    const tracked = issues.find((issue) => issue.body.includes(marker))!;
    expect(issues.filter((issue) => issue.body.includes(marker))).toHaveLength(1);
    expect(tracked).toMatchObject({
      title: 'model-gate: the nightly gate fails',
      state: 'open',
      labels: ['model-gate'],
    });
    expect(tracked.body).toContain('(again)');
    // A run that could not be judged neither confirms nor clears the failure.
    for (const verdict of ['incomparable', 'no-baseline'] as const) {
      const unjudged = await track(api, verdict);
      expect(unjudged).toEqual({
        status: 'skipped',
        message: `The run's verdict is ${verdict}, which neither confirms nor clears the failure: the tracking issue stays open, ${opened.url}`,
        url: null,
      });
      expect((await server.state()).issues.find((issue) => issue.number === tracked.number)!.state).toBe('open');
    }
    const closed = await track(api, 'pass', '');
    expect(closed.status).toBe('closed');
    const after = await server.state();
    ({ issues } = after);
    const { comments } = after;
    expect(issues.find((issue) => issue.number === tracked.number)!.state).toBe('closed');
    expect(issues.find((issue) => issue.number === 7)!.state).toBe('open');
    expect(comments.at(-1)!.body).toBe(
      'The gate passes again (https://github.com/acme/clinic-bots/actions/runs/11): closing.',
    );
    expect((await track(api, 'pass', '')).status).toBe('skipped');
  });

  it('an issue someone else opened with the marker and the label is not the tracking issue: left open, a new one opened', async () => {
    const server = await startGithubServer({
      tokens: { ghs_write: 'write' },
      issues: [{ number: 9, title: 'copy', body: `${marker}\nsomeone's`, labels: ['model-gate'], login: 'someone' }],
    });
    const api = apiFor(server.url, 'ghs_write');
    expect((await track(api, 'pass', '')).status).toBe('skipped');
    const opened = await track(api, 'fail', `${marker}\nfail`);
    expect(opened.status).toBe('opened');
    const { issues } = await server.state();
    expect(issues.find((issue) => issue.number === 9)).toMatchObject({ state: 'open', body: `${marker}\nsomeone's` });
  });

  it('does nothing on pull requests, or when disabled', async () => {
    const pr = {
      ...nightly,
      eventName: 'pull_request',
      pullRequest: pullRequest(1),
    };
    expect(
      await updateTrackingIssue({ api: null, context: pr, enabled: true, marker, verdict: 'fail', body: '' }),
    ).toEqual({ status: 'skipped', message: '', url: null });
    expect(
      (await updateTrackingIssue({ api: null, context: nightly, enabled: false, marker, verdict: 'fail', body: '' }))
        .message,
    ).toBe('No tracking issue: tracking-issue is false.');
  });

  it('without issues: write, a notice and the gate result unchanged', async () => {
    const server = await startGithubServer({ tokens: { ghs_read: 'read' } });
    const outcome = await updateTrackingIssue({
      api: apiFor(server.url, 'ghs_read'),
      context: nightly,
      enabled: true,
      marker,
      verdict: 'fail',
      body: 'x',
    });
    expect(outcome).toEqual({
      status: 'not-allowed',
      message:
        'No tracking issue: the token may not write issues (HTTP 403). Give the job "permissions: issues: write", or set tracking-issue to false; the gate result is unchanged.',
      url: null,
    });
  });
});
