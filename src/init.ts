// `model-gate init`: the two files a repository needs for its first gate — the workflow and the
// config — written from the server kind, base URL and model, with a suite that fits the model.
import { stringify } from 'yaml';
import type { z } from 'zod';
import { configFileSchema } from './config/schema.js';
import { defaultTargetName } from './config/load.js';
import { issueProblem } from './lib/schema-issues.js';

/** The servers init knows; all but Ollama's native API are OpenAI-compatible. */
export const INIT_KINDS = ['vllm', 'ollama', 'llama.cpp', 'tgi', 'sglang', 'lmstudio', 'openai'] as const;

export interface InitAnswers {
  kind: (typeof INIT_KINDS)[number];
  baseUrl: string;
  model: string;
  /** Whether the model sees images: an image suite, else voice-commands. */
  vision: boolean;
  /** The environment variable (a repository secret in the workflow) that holds the API key, if any. */
  apiKeyEnv?: string;
}

export const CONFIG_PATH = '.github/model-gate.yml';
export const WORKFLOW_PATH = '.github/workflows/model-gate.yml';

/** The config: one target, the suite that fits, and the gate's defaults spelled out where they matter. */
export function initConfig(answers: InitAnswers): z.input<typeof configFileSchema> {
  return {
    version: 1,
    suite: answers.vision ? 'safety-checks' : 'voice-commands',
    'suite-size': 'standard',
    targets: [
      {
        name: defaultTargetName(answers.model),
        // Only Ollama's native API differs; every other server speaks OpenAI's.
        kind: answers.kind === 'ollama' ? 'ollama' : 'openai',
        'base-url': answers.baseUrl,
        model: answers.model,
        ...(answers.apiKeyEnv ? { 'api-key-env': answers.apiKeyEnv } : {}),
      },
    ],
    // Absolute floors besides the comparison with the baseline: a server that errors or answers
    // prose fails whatever the baseline says.
    thresholds: { 'max-error-rate-pct': 5, 'min-json-valid-rate-pct': 80 },
    alpha: 0.01,
    'on-regression': 'fail',
  };
}

export function initWorkflow(answers: InitAnswers): string {
  const env = answers.apiKeyEnv
    ? `        env:\n          ${answers.apiKeyEnv}: \${{ secrets.${answers.apiKeyEnv} }}\n`
    : '';
  return `# model-gate: gates every pull request against the committed baselines, and every night adds a
# passing run to the baselines' history (committed by the nightly job).
name: model-gate
on:
  pull_request:
    types: [opened, synchronize, reopened, labeled] # labeled: model-gate:accept re-runs the gate
  schedule:
    - cron: '17 3 * * *'
  workflow_dispatch:
permissions:
  contents: read
  pull-requests: write # the sticky comment
jobs:
  gate:
    # A self-hosted runner runs whatever the workflow runs: never code from a fork.
    if: github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository
    runs-on: [self-hosted, gpu]
    permissions:
      contents: write # the nightly baseline commit
      pull-requests: write
      issues: write # the nightly tracking issue
    steps:
      - uses: actions/checkout@v5
      - id: gate
        uses: model-gate/model-gate@v1
${env}        with:
          config: ${CONFIG_PATH}
          update-baseline-on-pass: \${{ github.event_name != 'pull_request' }}
      - name: Commit the nightly baseline history
        if: github.event_name != 'pull_request' && steps.gate.outputs.verdict == 'pass'
        run: |
          git config user.name "github-actions[bot]"
          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
          git add baselines/
          git diff --cached --quiet || git commit -m "model-gate: nightly run added to the baseline history"
          git push
      - if: always()
        uses: actions/upload-artifact@v4
        with:
          name: model-gate-report
          path: model-gate-report/
`;
}

/** Model names of vision-language models, as their families name them (Qwen2.5-VL, LLaVA, Pixtral…). */
const VISION_MODEL =
  /(^|[^a-z])(vl|vlm|vision|llava|pixtral|idefics|internvl|minicpm-v|molmo|moondream|smolvlm|paligemma|gemma-?3)([^a-z]|$)/i;
export const looksLikeVisionModel = (model: string) => VISION_MODEL.test(model);

/**
 * The files to write, and the two commands that come next; or, where an answer would make a config
 * the schema refuses, the config field at fault and why.
 */
export function initFiles(
  answers: InitAnswers,
): { files: { path: string; text: string }[]; next: string[] } | { field: string; problem: string } {
  const checked = configFileSchema.safeParse(initConfig(answers));
  if (!checked.success) {
    const issue = checked.error.issues[0];
    return { field: String(issue?.path.at(-1) ?? ''), problem: issue ? issueProblem(issue) : 'not a valid config' };
  }
  const header = '# model-gate config: the target, the suite and the gate. docs/reference.md lists every field.\n';
  return {
    files: [
      { path: CONFIG_PATH, text: header + stringify(initConfig(answers)) },
      { path: WORKFLOW_PATH, text: initWorkflow(answers) },
    ],
    next: [
      `model-gate baseline --config ${CONFIG_PATH}${answers.apiKeyEnv ? `   # with ${answers.apiKeyEnv} set` : ''}`,
      `git add ${CONFIG_PATH} ${WORKFLOW_PATH} baselines/ && git commit -m "model-gate: first baseline"`,
    ],
  };
}
