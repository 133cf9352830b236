// The example workflows and config parse, use only inputs the action declares, and the example
// config passes the same validation a run applies.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfigFile, resolvePlan } from '../src/config/load.js';
import { REPO_ROOT } from './helpers/servers.js';

const action = parse(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string };
};
const workflows = readdirSync(join(REPO_ROOT, 'examples')).filter(
  (file) => file.endsWith('.yml') && file !== 'model-gate.yml',
);

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}

describe('action.yml', () => {
  it('runs on node24 from dist/index.js, every input and output described', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    for (const [name, input] of Object.entries(action.inputs))
      expect({ name, described: typeof (input as { description?: unknown }).description === 'string' }).toEqual({
        name,
        described: true,
      });
    for (const [name, output] of Object.entries(action.outputs))
      expect({ name, described: typeof (output as { description?: unknown }).description === 'string' }).toEqual({
        name,
        described: true,
      });
  });
});

describe.each(workflows)('examples/%s', (file) => {
  const workflow = parse(readFileSync(join(REPO_ROOT, 'examples', file), 'utf8')) as {
    name?: string;
    on?: unknown;
    jobs?: Record<string, { 'runs-on'?: unknown; steps?: Step[] }>;
  };

  it('is a workflow: a name, triggers, jobs with a runner and steps', () => {
    expect(typeof workflow.name).toBe('string');
    expect(workflow.on).toBeTruthy();
    for (const job of Object.values(workflow.jobs ?? {})) {
      expect(job['runs-on']).toBeTruthy();
      for (const step of job.steps ?? []) expect(Boolean(step.uses) !== Boolean(step.run)).toBe(true);
    }
  });

  it('commits the baselines it writes, with the permission to push', () => {
    type Job = { permissions?: Record<string, string>; steps?: Step[] };
    const permissions = (workflow as { permissions?: Record<string, string> }).permissions ?? {};
    for (const job of Object.values(workflow.jobs ?? {}) as Job[]) {
      const steps = job.steps ?? [];
      const writer = steps.findIndex(
        (step) =>
          step.uses?.startsWith('model-gate/model-gate@') &&
          ((typeof step.with?.mode === 'string' && step.with.mode.includes('baseline')) ||
            step.with?.['update-baseline-on-pass'] === true),
      );
      if (writer < 0) continue;
      const commit = steps.slice(writer + 1).find((step) => /git add baselines\/[\s\S]*git push/.test(step.run ?? ''));
      expect({ job: Object.keys(workflow.jobs ?? {}), commits: Boolean(commit) }).toMatchObject({ commits: true });
      expect((job.permissions ?? permissions).contents).toBe('write');
    }
  });

  it('gives model-gate only inputs it declares, and reads only outputs it sets', () => {
    const steps = Object.values(workflow.jobs ?? {}).flatMap((job) => job.steps ?? []);
    const gateSteps = steps.filter((step) => step.uses?.startsWith('model-gate/model-gate@'));
    expect(gateSteps.length).toBeGreaterThan(0);
    for (const step of gateSteps)
      for (const input of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs)).toContain(input);
    const text = readFileSync(join(REPO_ROOT, 'examples', file), 'utf8');
    for (const [, output] of text.matchAll(/steps\.gate\.outputs\.([a-z-]+)/g))
      expect(Object.keys(action.outputs)).toContain(output);
  });
});

it('examples/model-gate.yml is a valid config', () => {
  const config = loadConfigFile(join(REPO_ROOT, 'examples', 'model-gate.yml'), { required: true });
  expect(config?.targets?.map((target) => target.name)).toEqual(['fp16', 'awq']);
});

it('examples/servers/model-gate.yml is a valid config with one target per server kind', () => {
  const path = join(REPO_ROOT, 'examples', 'servers', 'model-gate.yml');
  const config = loadConfigFile(path, { required: true });
  const env = { VLLM_API_KEY: 'k', LLAMA_API_KEY: 'k', OPENAI_API_KEY: 'k' };
  const plan = resolvePlan({}, config, env, (name) => name, path);
  expect(plan.targets.map((target) => `${target.name}:${target.kind}`)).toEqual([
    'vllm:openai',
    'ollama:ollama',
    'ollama-v1:openai',
    'llama-cpp:openai',
    'lm-studio:openai',
    'tgi:openai',
    'sglang:openai',
    'gpt-4o:openai',
  ]);
  expect(plan.targets[0]!.coldStart).toEqual({
    command: 'docker restart vllm',
    readyUrl: 'http://127.0.0.1:8000/health',
    readyTimeoutMs: 600_000,
  });
  expect(plan.targets[1]!.keepAlive).toBe('5m');
});

it.each(['vllm', 'llama-cpp', 'ollama'])(
  'examples/server-start/%s.yml is a valid config whose target model-gate starts and stops',
  (name) => {
    const path = join(REPO_ROOT, 'examples', 'server-start', `${name}.yml`);
    const config = loadConfigFile(path, { required: true });
    const plan = resolvePlan({}, config, { VLLM_API_KEY: 'k' }, (input) => input, path);
    expect(plan.targets).toHaveLength(1);
    expect(plan.targets[0]!.server).toMatchObject({ start: expect.any(String), stopGraceMs: 5000 });
    // The server has time to load before the calls: more than the default when it pulls a model.
    expect(plan.settings.readyTimeoutMs).toBeGreaterThanOrEqual(300_000);
    // The workflow that runs them gives the action only inputs it declares (checked above with every workflow).
    expect(readFileSync(join(REPO_ROOT, 'examples', 'pull-request-server.yml'), 'utf8')).toContain(
      'examples/server-start/',
    );
  },
);

it('examples/compare/model-gate.yml pairs a self-hosted target with a hosted reference, both priced', () => {
  const path = join(REPO_ROOT, 'examples', 'compare', 'model-gate.yml');
  const plan = resolvePlan(
    {},
    loadConfigFile(path, { required: true }),
    { VLLM_API_KEY: 'k', OPENAI_API_KEY: 'k' },
    (name) => name,
    path,
  );
  expect(plan.targets.map((target) => [target.name, target.compareTo ?? null, target.cost])).toEqual([
    ['qwen2-vl', 'gpt-4o', { gpuPerHour: 1.48, hoursPerMonth: 730, currency: 'USD' }],
    ['gpt-4o', null, { inputPerMillion: 2.5, outputPerMillion: 10, hoursPerMonth: 730, currency: 'USD' }],
  ]);
  expect(plan.embeddings).toEqual({ baseUrl: 'http://127.0.0.1:8001/v1', model: 'BAAI/bge-m3' });
});

it('examples/custom-suite/model-gate.yml names a suite file that loads', async () => {
  const path = join(REPO_ROOT, 'examples', 'custom-suite', 'model-gate.yml');
  const plan = resolvePlan({}, loadConfigFile(path, { required: true }), {}, (name) => name, path);
  const { loadSuite } = await import('../src/suite/load.js');
  expect((await loadSuite(plan.suite)).id).toBe('invoice-checks');
});
