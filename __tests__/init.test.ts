// `model-gate init` from a fresh folder: the files it writes pass the workflow linter, action.yml's
// inputs and the config schema, it refuses to overwrite, and the next steps it prints work against
// the project's test server (a baseline written, then a gate that passes).
import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import { loadConfigFile } from '../src/config/load.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { runCli } from './helpers/processes.js';
import { REPO_ROOT, startOpenAIServer, stopAllServers } from './helpers/servers.js';
import { readReport, tempDir } from './helpers/runs.js';

afterAll(stopAllServers);

const action = parse(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };

/** `model-gate init` for a server kind, base URL and model, into `dir`, with any other flags. */
const init = (kind: string, baseUrl: string, model: string, dir: string, ...flags: string[]) =>
  runCli(['init', '--kind', kind, '--base-url', baseUrl, '--model', model, '--dir', dir, ...flags]);

describe('model-gate init', () => {
  it('writes a workflow and a config that pass the linter, action.yml and the config schema', async () => {
    const dir = tempDir();
    const result = await init('vllm', 'http://127.0.0.1:8000/v1', 'Qwen/Qwen2.5-VL-7B-Instruct', dir);
    expect(result.code).toBe(0);
    const workflowText = readFileSync(join(dir, '.github/workflows/model-gate.yml'), 'utf8');
    expect(validateWorkflow(workflowText).errors).toEqual([]);
    const workflow = parse(workflowText) as {
      permissions: Record<string, string>;
      jobs: { gate: { if: string; steps: { uses?: string; with?: Record<string, unknown>; run?: string }[] } };
    };
    const gate = workflow.jobs.gate.steps.find((step) => step.uses?.startsWith('model-gate/model-gate@'))!;
    for (const input of Object.keys(gate.with ?? {})) expect(Object.keys(action.inputs)).toContain(input);
    expect(workflow.jobs.gate.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(workflow.jobs.gate.steps.some((step) => step.uses?.startsWith('actions/upload-artifact@'))).toBe(true);
    expect(workflowText).toContain("cron: '17 3 * * *'");
    const config = loadConfigFile(join(dir, '.github/model-gate.yml'), { required: true })!;
    expect(config).toMatchObject({
      suite: 'safety-checks',
      targets: [{ kind: 'openai', 'base-url': 'http://127.0.0.1:8000/v1', model: 'Qwen/Qwen2.5-VL-7B-Instruct' }],
    });
    expect(result.stdout).toContain('Next:\n  model-gate baseline --config .github/model-gate.yml\n');

    // A text-only model gets the text suite; existing files are kept without --force.
    const again = await init('ollama', 'http://127.0.0.1:11434', 'llama3.1:8b', dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exist; add --force to replace them.');
    const forced = await init('ollama', 'http://127.0.0.1:11434', 'llama3.1:8b', dir, '--force');
    expect(forced.code).toBe(0);
    expect(loadConfigFile(join(dir, '.github/model-gate.yml'), { required: true })).toMatchObject({
      suite: 'voice-commands',
      targets: [{ kind: 'ollama' }],
    });
  });

  it('refuses answers the config schema refuses, naming the flag, and writes nothing', async () => {
    const dir = tempDir();
    const result = await init('vllm', 'localhost:8000', 'm', dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'model-gate: --base-url is "localhost:8000": expected an http:// or https:// URL such as http://127.0.0.1:8000/v1. Run "model-gate --help" for usage.\n',
    );
    expect(existsSync(join(dir, '.github'))).toBe(false);
  });

  it('says which flag is missing when it cannot ask', async () => {
    const result = await runCli(['init', '--kind', 'vllm', '--model', 'm', '--dir', tempDir()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('init needs --base-url');
  });

  it('prints next steps that work: a baseline written, then a gate that passes', async () => {
    const server = await startOpenAIServer(suiteProgramme({ latency: { ttftMs: 20, perTokenMs: 1 } }), 600);
    const dir = tempDir();
    const written = await init('vllm', `${server.url}/v1`, 'test-model', dir, '--vision');
    expect(written.code).toBe(0);
    // The printed commands as they are, at smoke (the test helper's size): what is checked here is
    // that the config and the commands work. The default size's images are checked by suite.test.ts
    // and dist.test.ts, a gate at that size by the demo and bench:e2e; rendering it twice more here
    // cost 40 CPU-seconds.
    const baseline = await runCli(
      ['baseline', '--config', '.github/model-gate.yml', '--report-dir', 'report-baseline'],
      {
        cwd: dir,
        timeoutMs: 50_000,
      },
    );
    expect(baseline.code).toBe(0);
    expect(readReport(join(dir, 'report-baseline')).baselines[0]).toMatchObject({ status: 'written' });
    const gate = await runCli(['run', '--config', '.github/model-gate.yml', '--report-dir', 'report-gate'], {
      cwd: dir,
      timeoutMs: 50_000,
    });
    expect(readReport(join(dir, 'report-gate')).verdict).toBe('pass');
    expect(gate.code).toBe(0);
  }, 120_000);
});
