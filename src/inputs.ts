// Every input of the action and flag of the CLI, in one list: action.yml's inputs, the reference
// in docs/reference.md and the CLI's --help are generated from it (npm run docs:reference), and a
// test checks that they agree. The threshold inputs come from the metric catalog.
import { METRICS, THRESHOLDS } from './metric-catalog.js';

export interface InputSpec {
  name: string;
  /** endpoint, suite, run, gate and thresholds reach the pipeline; github is the action's own. */
  group: 'endpoint' | 'suite' | 'run' | 'gate' | 'github' | 'thresholds';
  description: string;
  /** action.yml's default, where it is not empty (the pipeline's defaults are in the config schema). */
  actionDefault?: string;
  /** The CLI flag's value name and one-line help; absent where the CLI has no such flag. */
  flag?: { value: string; summary: string };
}

const BASE_INPUTS: InputSpec[] = [
  {
    name: 'base-url',
    group: 'endpoint',
    description:
      'OpenAI-compatible base URL of the endpoint under test, usually ending in /v1 (vLLM http://127.0.0.1:8000/v1, Ollama http://127.0.0.1:11434/v1, llama.cpp http://127.0.0.1:8080/v1). Leave empty to take targets from the config file.',
    flag: { value: 'URL', summary: 'OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1' },
  },
  {
    name: 'model',
    group: 'endpoint',
    description: 'Model name the server serves (as listed by GET {base-url}/models).',
    flag: { value: 'NAME', summary: 'model name the server serves' },
  },
  {
    name: 'api-key',
    group: 'endpoint',
    description:
      'API key for the endpoint, from a secret (e.g. secrets.VLLM_API_KEY). Masked in logs; never written to reports. Leave empty when the server needs no key.',
  },
  {
    name: 'api-key-env',
    group: 'endpoint',
    description: 'Name of an environment variable holding the API key, as an alternative to api-key.',
    flag: { value: 'VAR', summary: 'environment variable that holds the API key (keys are never taken as flags)' },
  },
  {
    name: 'kind',
    group: 'endpoint',
    description:
      "Endpoint kind — openai (any OpenAI-compatible server, default) or ollama (Ollama's native API, which unloads the model before the cold call and reports Ollama's own durations).",
    flag: { value: 'KIND', summary: "openai (default) or ollama (Ollama's native API)" },
  },
  {
    name: 'target-name',
    group: 'endpoint',
    description: 'Name of the target in reports (default derived from the model name).',
    flag: { value: 'NAME', summary: 'name of the target (default: from the model name)' },
  },
  {
    name: 'json-mode',
    group: 'endpoint',
    description:
      "How JSON answers are requested — json_object (response_format json_object, default), json_schema (the suite's schema as response_format), or none.",
    flag: { value: 'MODE', summary: 'json_object (default), json_schema or none' },
  },
  {
    name: 'tool-mode',
    group: 'endpoint',
    description:
      "Tool-call suites (voice-commands) — native (the server's function calling, OpenAI tools; default) or json (tools described in the system message, answered as JSON, for servers without function calling).",
    flag: { value: 'MODE', summary: 'tool-call suites: native (function calling, default) or json' },
  },
  {
    name: 'config',
    group: 'endpoint',
    description:
      'Path to a YAML config file with several targets, settings and thresholds. Default .github/model-gate.yml if it exists; inputs override the file.',
    flag: { value: 'FILE', summary: 'YAML config with several targets (default: .github/model-gate.yml if present)' },
  },
  {
    name: 'suite',
    group: 'suite',
    description:
      "A built-in suite (safety-checks, slide-extraction, voice-commands, ui-coordinates) or the path of your own suite's YAML file, relative to the working directory (default safety-checks).",
    flag: { value: 'ID|FILE', summary: "built-in suite (default: safety-checks) or your own suite's YAML file" },
  },
  {
    name: 'suite-size',
    group: 'suite',
    description:
      "How many scenarios to run — smoke (the hand-written scenarios: a quick check that gates latency only), standard (default; 299 distinct scenarios for safety-checks, 300 calls with the cold call), full (960 for safety-checks, a night's run), or a number of scenarios. Generated scenarios are drawn from the suite's seeded families, so a size always runs the same scenarios; docs/gate.md says what each size can catch.",
    flag: { value: 'SIZE', summary: 'smoke, standard (default), full or a number of scenarios' },
  },
  {
    name: 'shard',
    group: 'suite',
    description:
      'Run one balanced slice of the suite, i/n (the i-th of n, balanced by expected cost), in a matrix job; its report is uploaded as an artifact for a merge job (mode merge). Empty runs the whole suite.',
    flag: { value: 'I/N', summary: 'run the I-th of N balanced slices of the suite (merge them with "merge")' },
  },
  {
    name: 'shards-dir',
    group: 'suite',
    description:
      "mode merge only — a folder holding the shards' report folders, instead of downloading this run's shard artifacts.",
    flag: { value: 'DIR', summary: "merge: the folder holding the shards' report folders" },
  },
  {
    name: 'warm-runs',
    group: 'run',
    description:
      'Warm runs per scenario. Default: as many as latency needs, one in a suite of 27 scenarios or more (quality counts each scenario once however often it runs; repeats add latency samples).',
    flag: { value: 'N', summary: 'warm runs per scenario (default: enough for 27 latency samples)' },
  },
  {
    name: 'concurrency',
    group: 'run',
    description: 'Calls in flight at once (default 1, which keeps latency figures honest).',
    flag: { value: 'N', summary: 'calls in flight (default 1)' },
  },
  {
    name: 'latency-concurrency',
    group: 'run',
    description:
      'Concurrency at which latency is timed (default 1). When concurrency is higher, the first latency-runs warm runs (in a suite that runs each scenario once, its first 60 warm calls) go at this concurrency and count for latency and quality; the rest go at concurrency and count for quality only. A baseline timed at another latency concurrency is incomparable.',
    flag: { value: 'N', summary: 'calls in flight while latency is timed (default 1)' },
  },
  {
    name: 'latency-runs',
    group: 'run',
    description:
      'When concurrency is above latency-concurrency, how many warm runs are timed at latency-concurrency first (default 3).',
    flag: { value: 'N', summary: 'warm runs timed at the latency concurrency first (default 3)' },
  },
  {
    name: 'timeout',
    group: 'run',
    description: 'Per-call timeout in seconds (default 120).',
    flag: { value: 'SECONDS', summary: 'per-call timeout (default 120)' },
  },
  {
    name: 'ready-timeout',
    group: 'run',
    description:
      'Seconds the preflight waits for a server that answers 503 while it loads its model (vLLM, llama.cpp: "Loading model"), checking every second (default 300; 0 does not wait).',
    flag: { value: 'SECONDS', summary: 'wait this long for a server still loading its model (default 300)' },
  },
  {
    name: 'temperature',
    group: 'run',
    description: 'Sampling temperature (default 0).',
    flag: { value: 'T', summary: 'sampling temperature (default 0)' },
  },
  {
    name: 'max-tokens',
    group: 'run',
    description: 'Maximum tokens per answer (default 512).',
    flag: { value: 'N', summary: 'answer length cap (default 512)' },
  },
  {
    name: 'retries',
    group: 'run',
    description:
      'Extra attempts for a call that failed transiently (connection reset or refused, HTTP 429/500/502/503/504, truncated stream), with exponential backoff; at most 10 % of the planned calls are retried per target. Failed attempts count in the error rate, never in latency. Default 2.',
    flag: { value: 'N', summary: 'extra attempts for a transiently failed call (default 2)' },
  },
  {
    name: 'report-dir',
    group: 'run',
    description: 'Folder for report.json, summary.md and samples.jsonl (default model-gate-report).',
    flag: { value: 'DIR', summary: 'where report.json, summary.md and samples.jsonl go (default model-gate-report)' },
  },
  {
    name: 'mode',
    group: 'gate',
    description:
      'gate (default) runs the suite and compares it with the committed baselines; baseline runs it and writes baselines/<suite>/<target>.json to commit; merge gathers the reports the shard jobs uploaded (shard input), checks they are complete and alike, and gates them once.',
  },
  {
    name: 'baseline-dir',
    group: 'gate',
    description: 'Folder of the baselines (default baselines).',
    flag: { value: 'DIR', summary: 'where baselines/<suite>/<target>.json live (default baselines)' },
  },
  {
    name: 'alpha',
    group: 'gate',
    description: 'False-alarm rate of a whole run, over every gated metric of every target (default 0.01).',
    flag: { value: 'A', summary: 'false-alarm rate of a whole run over all gated metrics (default 0.01)' },
  },
  {
    name: 'on-regression',
    group: 'gate',
    description: 'fail (default) fails the step on a regression; warn reports it and lets the step pass.',
    flag: { value: 'MODE', summary: 'fail (default: exit 1) or warn (report, exit 0)' },
  },
  {
    name: 'confirm-runs',
    group: 'gate',
    description:
      'true (default) re-runs the scenarios of a suspicious metric once before deciding; false decides on the first pass.',
    flag: { value: 'BOOL', summary: 're-run the scenarios of a suspicious metric once before deciding (default true)' },
  },
  {
    name: 'update-baseline-on-pass',
    group: 'gate',
    description:
      "true appends a passing gate run to the baseline's history (for nightly runs on the main branch; commit baselines/ afterwards). Default false.",
    flag: { value: 'BOOL', summary: "add a passing gate run to the baseline's history (default false)" },
  },
  {
    name: 'baseline-ref',
    group: 'gate',
    description:
      "Git revision whose baselines the gate trusts. On pull_request events the action uses the pull request's base commit when this is empty: the pull request's own baselines/ count only once a reviewer accepts them (accept-label). Elsewhere, empty means the working tree's.",
    flag: {
      value: 'REV',
      summary: "compare with the baselines at this git revision (e.g. origin/main), not the working tree's",
    },
  },
  {
    name: 'github-token',
    group: 'github',
    description: "Token for the pull-request comment (needs pull-requests write). The workflow's own token by default.",
    actionDefault: '${{ github.token }}',
  },
  {
    name: 'comment',
    group: 'github',
    description:
      'on-regression (default) comments when something regressed and keeps an earlier comment up to date; always comments on every pull-request run; never does not comment.',
    actionDefault: 'on-regression',
  },
  {
    name: 'comment-key',
    group: 'github',
    description:
      "What makes this run's comment distinct, so several model-gate steps keep separate comments (default the workflow name and suite or config).",
  },
  {
    name: 'accept-label',
    group: 'github',
    description:
      "The pull-request label with which a reviewer accepts the pull request's own baselines, or a change of suite or settings: until it is added, the gate compares with the base commit's baselines and fails on the change.",
    actionDefault: 'model-gate:accept',
  },
  {
    name: 'tracking-issue',
    group: 'github',
    description:
      'On scheduled and manual runs, true (default) opens or updates one issue labelled model-gate while the gate fails and closes it when it passes again (needs issues write); false does not.',
    actionDefault: 'true',
  },
];

const THRESHOLD_INPUTS: InputSpec[] = THRESHOLDS.map(({ name, bound, metric }) => {
  const { description, unit, label } = METRICS[metric];
  const side = bound === 'min' ? 'below' : 'above';
  return {
    name,
    group: 'thresholds',
    description: `${label} ${bound === 'min' ? 'floor' : 'ceiling'}, in ${unit === '%' ? 'percent' : 'milliseconds'}: the run fails when the ${description} is ${side} it.`,
    flag: { value: unit === '%' ? 'PCT' : 'MS', summary: `fail when the ${description} is ${side} this` },
  };
});

export const INPUTS: readonly InputSpec[] = [...BASE_INPUTS, ...THRESHOLD_INPUTS];

/** The inputs the pipeline reads (the action's and the CLI's alike). */
export const RUN_INPUT_NAMES = INPUTS.filter((input) => input.group !== 'github').map((input) => input.name);

export interface OutputSpec {
  name: string;
  description: string;
}

export const OUTPUTS: readonly OutputSpec[] = [
  {
    name: 'verdict',
    description:
      'pass, fail (a regression beyond margin and noise, or a threshold not met), no-baseline, incomparable (the baseline was measured with another suite or settings) or error (bad input, endpoint not usable, run cancelled).',
  },
  { name: 'regressions', description: 'Number of metrics that regressed, over all targets.' },
  { name: 'report', description: 'Path of report.json.' },
  {
    name: 'report-dir',
    description: 'Folder holding report.json, summary.md and samples.jsonl (upload it as an artifact).',
  },
  { name: 'summary', description: "One line with the verdict and each target's headline metrics." },
  { name: 'comment-url', description: 'Address of the pull-request comment written or updated, empty when none was.' },
];
