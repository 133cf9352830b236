// Runs a copy of the bundled action as GitHub's runner does: `node dist/index.js` from a folder with
// no node_modules, inputs in INPUT_* variables (hyphens kept), outputs and summary through files.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from './processes.js';
import { REPO_ROOT } from './servers.js';

/** A copy of dist/ and action.yml in a temporary folder, away from the repository's node_modules. */
export function copyAction(): string {
  const actionDir = mkdtempSync(join(tmpdir(), 'model-gate-action-'));
  cpSync(join(REPO_ROOT, 'dist'), join(actionDir, 'dist'), { recursive: true });
  cpSync(join(REPO_ROOT, 'action.yml'), join(actionDir, 'action.yml'));
  return actionDir;
}

export function parseGithubOutput(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const pattern = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const match of text.matchAll(pattern)) outputs[match[1]!] = match[3]!;
  return outputs;
}

export async function runAction(
  actionDir: string,
  inputs: Record<string, string>,
  options: {
    onStart?: (pid: number) => void;
    workspace?: string;
    env?: NodeJS.ProcessEnv;
    /** The event payload (default __tests__/fixtures/pull_request.json) and, with it, GITHUB_EVENT_NAME. */
    event?: { name: string; payload: Record<string, unknown> };
  } = {},
) {
  const workspace = options.workspace ?? mkdtempSync(join(tmpdir(), 'model-gate-workspace-'));
  const files = {
    output: join(workspace, 'github_output'),
    summary: join(workspace, 'step_summary'),
    event: join(workspace, 'event.json'),
  };
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  if (options.event) writeFileSync(files.event, JSON.stringify(options.event.payload));
  else cpSync(join(REPO_ROOT, '__tests__', 'fixtures', 'pull_request.json'), files.event);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_EVENT_NAME: options.event?.name ?? 'pull_request',
    GITHUB_REPOSITORY: 'acme/clinic-bots',
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: workspace,
    GITHUB_RUN_ID: '9001',
    GITHUB_WORKFLOW: 'model-gate',
    ...options.env,
    // The test servers script the hand-written scenarios: tests run the smoke size unless they name one.
    'INPUT_SUITE-SIZE': 'smoke',
    ...Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value])),
  };
  const result = await runProcess(process.execPath, [join(actionDir, 'dist', 'index.js')], {
    cwd: workspace,
    env,
    timeoutMs: 60_000,
    onStart: options.onStart,
  });
  return {
    workspace,
    result,
    outputs: parseGithubOutput(readFileSync(files.output, 'utf8')),
    summary: readFileSync(files.summary, 'utf8'),
  };
}
