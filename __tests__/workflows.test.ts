// The project's own workflows and the examples, checked by a workflow linter (action-validator,
// GitHub's published schemas); and the self-test job's steps run as the runner runs them: its
// server-start script in bash, then the bundled action (uses: ./) with the job's inputs, against the
// test servers, posting its comment.
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateAction, validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import { copyAction, runAction } from './helpers/action.js';
import { REPO_ROOT, startGithubServer, stopAllServers } from './helpers/servers.js';

afterAll(stopAllServers);

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string | number | boolean>;
}
const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const workflows = [
  ...readdirSync(join(REPO_ROOT, '.github', 'workflows')).map((file) => `.github/workflows/${file}`),
  ...readdirSync(join(REPO_ROOT, 'examples'))
    .filter((file) => file.endsWith('.yml') && /^jobs:/m.test(read(`examples/${file}`)))
    .map((file) => `examples/${file}`),
];

describe('the workflow linter', () => {
  it.each(workflows)('finds nothing wrong in %s', (path) => {
    expect(validateWorkflow(read(path)).errors).toEqual([]);
  });

  it('would say so: a job without runs-on, a misspelled key', () => {
    expect(validateWorkflow('name: x\non: push\njobs:\n  a:\n    steps:\n      - run: echo\n').errors).not.toEqual([]);
    expect(
      validateWorkflow('name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    step: []\n').errors,
    ).not.toEqual([]);
  });

  it('finds nothing wrong in action.yml; its schema predates node24, so that one value is checked apart', () => {
    const action = read('action.yml');
    expect((parse(action) as { runs: { using: string } }).runs.using).toBe('node24');
    // As published, the schema lists node12, node16 and node20: the only complaint is that enum.
    const asIs = JSON.stringify(validateAction(action).errors);
    expect(asIs).toContain('"path":"/runs/using","title":"Enum conditions are not met"');
    // Everything else — inputs, outputs, branding, main — against the schema.
    expect(validateAction(action.replace(/^(\s+using:\s*)node24\s*$/m, '$1node20')).errors).toEqual([]);
  });
});

describe('the self-test workflow, run as the runner runs it', () => {
  const job = (parse(read('.github/workflows/self-test.yml')) as { jobs: { gate: { steps: Step[] } } }).jobs.gate;
  const step = (name: string) => job.steps.find((entry) => entry.name === name || entry.uses === name)!;

  it('starts the simulated server, runs the action from the repository, and posts the comment', async () => {
    const runnerTemp = mkdtempSync(join(tmpdir(), 'model-gate-runner-'));
    const githubEnv = join(runnerTemp, 'github_env');
    writeFileSync(githubEnv, '');
    // The step's script, in bash, from the repository root; its own process group, stopped after.
    const starter = spawn('bash', ['-e', '-c', step('Start the simulated model server').run!], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, RUNNER_TEMP: runnerTemp, GITHUB_ENV: githubEnv },
      stdio: 'ignore',
      detached: true,
    });
    try {
      expect(await new Promise((resolve) => starter.once('exit', resolve))).toBe(0);
      const url = /^MODEL_GATE_TEST_URL=(http:\/\/127\.0\.0\.1:\d+)$/m.exec(readFileSync(githubEnv, 'utf8'))?.[1];
      expect(url).toBeDefined();

      const github = await startGithubServer({ tokens: { 'ghs_self-test': 'write' } });
      const expressions: Record<string, string> = {
        'env.MODEL_GATE_TEST_URL': url!,
        'github.token': 'ghs_self-test',
      };
      const inputs = Object.fromEntries(
        Object.entries(step('./').with ?? {}).map(([name, value]) => [
          name,
          String(value).replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, expression: string) => expressions[expression]!),
        ]),
      );
      const { result, outputs } = await runAction(copyAction(), inputs, {
        env: { GITHUB_API_URL: github.url, GITHUB_SERVER_URL: 'https://github.com' },
      });
      expect(result.code).toBe(0);
      expect(outputs.verdict).toBe('no-baseline');
      const { comments } = await github.state();
      expect(comments).toHaveLength(1);
      expect(comments[0]!.body.startsWith('<!-- model-gate:self-test -->\n## model-gate: ℹ️ no-baseline')).toBe(true);
    } finally {
      try {
        process.kill(-starter.pid!, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  });
});
