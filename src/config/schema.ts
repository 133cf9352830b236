// What a run is asked to do: targets (endpoints), run settings and absolute thresholds.
// The same kebab-case names serve the action's inputs, the CLI's flags and the YAML config file.
import { z } from 'zod';
import { urlSecrets } from '../lib/redact.js';
import { suiteSizeSchema, type SuiteSize } from '../suite-sizes.js';
import {
  METRIC_NAMES,
  metricConfigName,
  metricEntry,
  THRESHOLDS,
  type MetricName,
  type ThresholdName,
} from '../metric-catalog.js';
import type { ShardSpec } from '../shard/slice.js';

export const DEFAULT_SUITE = 'safety-checks';
export const DEFAULT_CONFIG_PATH = '.github/model-gate.yml';
export const DEFAULT_REPORT_DIR = 'model-gate-report';
export const DEFAULT_BASELINE_DIR = 'baselines';
export const DEFAULT_ALPHA = 0.01;

const METRIC_BY_CONFIG_NAME = new Map(METRIC_NAMES.map((metric) => [metricConfigName(metric), metric]));
export const metricFromConfigName = (name: string) => METRIC_BY_CONFIG_NAME.get(name);

const httpUrl = z
  .string()
  .trim()
  .refine((value) => /^https?:\/\/[^/\s]+/i.test(value) && URL.canParse(value), {
    error: 'expected an http:// or https:// URL such as http://127.0.0.1:8000/v1',
  })
  .transform((value) => value.replace(/\/+$/, ''));

function numberBetween(min: number, max: number, unit = '') {
  return z
    .number({ error: `expected a number from ${min} to ${max}${unit}` })
    .min(min, { error: `expected a number from ${min} to ${max}${unit}` })
    .max(max, { error: `expected a number from ${min} to ${max}${unit}` });
}

const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected the name of an environment variable, such as VLLM_API_KEY' });

export const targetNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
  error: 'expected a short name of letters, digits, ".", "_" or "-" (it names the baseline file)',
});

export const jsonModeSchema = z.enum(['json_object', 'json_schema', 'none']);

export const endpointKindSchema = z.enum(['openai', 'ollama'], {
  error: 'expected "openai" (any OpenAI-compatible server, Ollama\'s /v1 included) or "ollama" (Ollama\'s native API)',
});

/** How the server is reset before the cold call: a shell command, then readiness polling. */
export const coldStartSchema = z.strictObject({
  command: z
    .string()
    .trim()
    .min(1, { error: 'expected a shell command that restarts the server, such as "docker restart vllm"' }),
  'ready-url': httpUrl.optional(),
  'ready-timeout': numberBetween(1, 3600, ' (seconds)').default(300),
});

/** The server model-gate starts for a target from the checked-out files, and stops when the run ends. */
export const serverSchema = z.strictObject({
  start: z.string().trim().min(1, {
    error:
      'expected a shell command that starts the server in the foreground, such as "llama-server -m model.gguf --port 8080"',
  }),
  /** Run instead of signalling the start command's processes (docker stop NAME for a detached container). */
  stop: z.string().trim().min(1).optional(),
  /** Seconds between SIGTERM and SIGKILL. */
  // Within the runner's 7.5 s between SIGTERM and SIGKILL when a job is cancelled.
  'stop-grace': numberBetween(0, 600, ' (seconds)').default(5),
});

/** What a target costs: token prices (a hosted API) or an hourly price for the GPU it runs on (self-hosted). */
export const costSchema = z
  .strictObject({
    'input-per-million': numberBetween(0, 10_000, ' (price per million input tokens)').optional(),
    'output-per-million': numberBetween(0, 10_000, ' (price per million output tokens)').optional(),
    'gpu-per-hour': numberBetween(0, 10_000, ' (price of the GPU per hour)').optional(),
    /** Hours a month the GPU is paid for: 730 for a machine that runs all month. */
    'hours-per-month': numberBetween(1, 744, ' (hours)').default(730),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, { error: 'expected a currency code such as USD or EUR' })
      .default('USD'),
  })
  .refine(
    (cost) =>
      cost['gpu-per-hour'] !== undefined ||
      cost['input-per-million'] !== undefined ||
      cost['output-per-million'] !== undefined,
    {
      error: 'expected gpu-per-hour (self-hosted) or input-per-million and output-per-million (token prices)',
    },
  );

export const targetSchema = z.strictObject({
  name: targetNameSchema,
  kind: endpointKindSchema.default('openai'),
  'base-url': httpUrl,
  model: z.string().trim().min(1, { error: 'expected the model name the server serves' }),
  'api-key-env': envVarName.optional(),
  'json-mode': jsonModeSchema.default('json_object'),
  /** Ollama only: how long the model stays loaded after a call (Ollama's keep_alive). */
  'keep-alive': z
    .string()
    .regex(/^(-1|0|\d+(\.\d+)?(ms|s|m|h))$/, {
      error: 'expected an Ollama duration such as "5m", "30s", "1h", "0" or "-1"',
    })
    .optional(),
  'cold-start': coldStartSchema.optional(),
  /** A server to start before the target's calls (the pull request's own model, quantization or flags) and stop after the run. */
  server: serverSchema.optional(),
  /** Tool-call suites: the server's own function calling (native), or tools described in the prompt and a JSON answer (json). */
  /** Runs this target and the named one interleaved on the same scenarios and compares them, paired. */
  'compare-to': targetNameSchema.optional(),
  cost: costSchema.optional(),
  'tool-mode': z
    .enum(['native', 'json'], {
      error:
        'expected "native" (the server\'s function calling: OpenAI tools) or "json" (tools described in the prompt, answered as JSON)',
    })
    .default('native'),
});

const wholeNumber = (min: number, max: number) =>
  z
    .number({ error: `expected a whole number from ${min} to ${max}` })
    .int({ error: `expected a whole number from ${min} to ${max}` })
    .min(min, { error: `expected a whole number from ${min} to ${max}` })
    .max(max, { error: `expected a whole number from ${min} to ${max}` });

export const settingsSchema = z.strictObject({
  /** Absent: as many as latency needs (run/runner.ts defaultWarmRuns), one per scenario in a large suite. */
  'warm-runs': wholeNumber(1, 1000).optional(),
  concurrency: wholeNumber(1, 256).default(1),
  /** Latency is timed at this concurrency only; runs at a higher `concurrency` add quality samples. */
  'latency-concurrency': wholeNumber(1, 256).default(1),
  /** When concurrency is above latency-concurrency: how many of the warm runs go first, timed, at latency-concurrency. */
  'latency-runs': wholeNumber(1, 1000).default(3),
  timeout: numberBetween(0.1, 3600, ' (seconds)').default(120),
  /** How long the preflight waits for a server that says it is still loading its model (HTTP 503). */
  'ready-timeout': numberBetween(0, 3600, ' (seconds)').default(300),
  temperature: numberBetween(0, 2).default(0),
  'max-tokens': wholeNumber(1, 65536).default(512),
  /** Extra attempts for a call that failed transiently (reset, 429, 5xx, truncated stream). */
  retries: wholeNumber(0, 10).default(2),
});

const pct = numberBetween(0, 100, ' (percent)');
const ms = numberBetween(0, 86_400_000, ' (milliseconds)');

/** One optional bound per threshold of the metric catalog, in percent or milliseconds by its unit. */
export const thresholdsSchema = z.strictObject(
  Object.fromEntries(
    THRESHOLDS.map(({ name, metric }) => [name, (metricEntry(metric).unit === '%' ? pct : ms).optional()]),
  ) as Record<ThresholdName, z.ZodOptional<typeof pct>>,
);

export const modeSchema = z.enum(['gate', 'baseline', 'merge', 'merge-baseline'], {
  error:
    'expected "gate" (compare with the baselines), "baseline" (write them), "merge" (gate the merged reports of sharded jobs) or "merge-baseline" (write the baselines from them)',
});
/** Whether a mode writes baselines rather than gating against them. */
export const writesBaselines = (mode: z.infer<typeof modeSchema>) => mode === 'baseline' || mode === 'merge-baseline';
/** Whether a mode merges shard reports rather than calling endpoints. */
export const mergesShards = (mode: z.infer<typeof modeSchema>) => mode === 'merge' || mode === 'merge-baseline';
export const onRegressionSchema = z.enum(['fail', 'warn'], {
  error: 'expected "fail" (fail the step) or "warn" (report only)',
});
/** When the action comments on a pull request. */
export const COMMENT_MODES = ['always', 'on-regression', 'never'] as const;
export type CommentMode = (typeof COMMENT_MODES)[number];
export const commentModeSchema = z.enum(COMMENT_MODES, { error: 'expected always, on-regression or never' });

/** The action's own inputs, for the GitHub side of a run (the CLI has none of them). */
/** The label with which a reviewer accepts a pull request's own baselines. */
export const DEFAULT_ACCEPT_LABEL = 'model-gate:accept';

export interface ActionSettings {
  githubToken: string;
  acceptLabel: string;
  comment: CommentMode;
  /** What makes this run's comment distinct; empty: the workflow name and the suite or config. */
  commentKey: string;
  trackingIssue: boolean;
}

export const alphaSchema = numberBetween(0.0001, 0.2, ' (the false-alarm rate of a whole run, e.g. 0.01)');

export const gateRuleSchema = z.strictObject({
  /** Points for rates, percent for latency, speed and cold start. */
  margin: numberBetween(0, 1000).optional(),
  gate: z.boolean({ error: 'expected true or false' }).optional(),
});

export const gatesSchema = z.record(z.string(), gateRuleSchema).superRefine((gates, context) => {
  for (const name of Object.keys(gates)) {
    if (!metricFromConfigName(name)) {
      context.addIssue({
        code: 'custom',
        path: [name],
        message: `unknown metric (allowed: ${METRIC_NAMES.map(metricConfigName).join(', ')})`,
      });
    }
  }
});

/** An embeddings endpoint for the semantic similarity of compared answers (OpenAI /embeddings). */
export const embeddingsSchema = z.strictObject({
  'base-url': httpUrl,
  model: z.string().trim().min(1, { error: 'expected the embedding model name the server serves' }),
  'api-key-env': envVarName.optional(),
});

export const configFileSchema = z.strictObject({
  version: z.literal(1, { error: 'expected 1 (the config format version)' }).optional(),
  suite: z.string().min(1).optional(),
  'suite-size': suiteSizeSchema.optional(),
  targets: z
    .array(targetSchema, { error: 'expected a list of targets, each with name, base-url and model' })
    .min(1, { error: 'expected at least one target' })
    .optional(),
  settings: settingsSchema.partial().optional(),
  thresholds: thresholdsSchema.optional(),
  gates: gatesSchema.optional(),
  alpha: alphaSchema.optional(),
  'on-regression': onRegressionSchema.optional(),
  'confirm-runs': z.boolean({ error: 'expected true or false' }).optional(),
  'baseline-dir': z.string().min(1).optional(),
  'report-dir': z.string().min(1).optional(),
  compare: z.strictObject({ embeddings: embeddingsSchema.optional() }).optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;
export type RunSettingsConfig = z.infer<typeof settingsSchema>;
export type ThresholdsConfig = z.infer<typeof thresholdsSchema>;

/** Settings as the stages below the shells use them (camelCase, units in names). */
export const runSettingsSchema = z.object({
  warmRuns: z.number(),
  concurrency: z.number(),
  latencyConcurrency: z.number(),
  latencyRuns: z.number(),
  timeoutMs: z.number(),
  readyTimeoutMs: z.number(),
  temperature: z.number(),
  maxTokens: z.number(),
  retries: z.number(),
});
export type RunSettings = z.infer<typeof runSettingsSchema>;

export interface ColdStart {
  command: string;
  /** Polled until it answers 200; by default the kind's model list. */
  readyUrl: string | null;
  readyTimeoutMs: number;
}

export interface Target {
  name: string;
  kind: z.infer<typeof endpointKindSchema>;
  baseUrl: string;
  model: string;
  jsonMode: z.infer<typeof jsonModeSchema>;
  /** Ollama's keep_alive for calls (absent: the server's default). */
  keepAlive?: string;
  /** Resets the server before the cold call; without one (and not Ollama) the cold figure is a first call's. */
  coldStart?: ColdStart;
  /** The server model-gate starts for this target and stops at the end of the run. */
  server?: ManagedServerConfig;
  toolMode: 'native' | 'json';
  /** The target this one is compared with, run interleaved on the same scenarios. */
  compareTo?: string;
  cost?: TargetCost;
  /** The secret value itself; never written anywhere. */
  apiKey?: string;
  /** Where the key came from, for messages: an input name or an environment variable. */
  apiKeySource?: string;
}

export interface ManagedServerConfig {
  start: string;
  stop: string | null;
  stopGraceMs: number;
}

export interface TargetCost {
  inputPerMillion?: number;
  outputPerMillion?: number;
  gpuPerHour?: number;
  hoursPerMonth: number;
  currency: string;
}

export interface EmbeddingsEndpoint {
  baseUrl: string;
  model: string;
  apiKey?: string;
  apiKeySource?: string;
}

export type Thresholds = Partial<Record<ThresholdName, number>>;

export interface GateSettings {
  mode: z.infer<typeof modeSchema>;
  baselineDir: string;
  alpha: number;
  onRegression: z.infer<typeof onRegressionSchema>;
  confirmRuns: boolean;
  /** After a passing gate, append this run to the baseline's history (nightly runs on the main branch). */
  updateBaselineOnPass: boolean;
  /** Per-metric overrides of the default margins and of which metrics are gated. */
  rules: Partial<Record<MetricName, { margin?: number; enabled?: boolean }>>;
}

export interface Plan {
  suite: string;
  suiteSize: SuiteSize;
  /** warm-runs was not given: the pipeline sets it from the suite's size once the suite is loaded. */
  warmRunsAuto: boolean;
  /** This job runs one shard of the suite (shard: i/n), to be merged and gated by a merge job. */
  shard?: ShardSpec;
  /** Where A-versus-B comparisons get embeddings for the semantic similarity of answers. */
  embeddings?: EmbeddingsEndpoint;
  targets: Target[];
  settings: RunSettings;
  thresholds: Thresholds;
  gate: GateSettings;
  reportDir: string;
}

/** Everything in a plan that must never be shown: API keys, and credentials inside its URLs. */
export function planSecrets(plan: Plan): string[] {
  return [
    ...plan.targets.flatMap((target) => [
      ...(target.apiKey ? [target.apiKey] : []),
      ...urlSecrets(target.baseUrl),
      ...urlSecrets(target.coldStart?.readyUrl),
    ]),
    ...(plan.embeddings?.apiKey ? [plan.embeddings.apiKey] : []),
    ...urlSecrets(plan.embeddings?.baseUrl),
  ];
}

export function toRunSettings(settings: RunSettingsConfig): RunSettings {
  return {
    // Replaced by the suite's own default when not given (Plan.warmRunsAuto).
    warmRuns: settings['warm-runs'] ?? 1,
    concurrency: settings.concurrency,
    latencyConcurrency: settings['latency-concurrency'],
    latencyRuns: settings['latency-runs'],
    timeoutMs: Math.round(settings.timeout * 1000),
    readyTimeoutMs: Math.round(settings['ready-timeout'] * 1000),
    temperature: settings.temperature,
    maxTokens: settings['max-tokens'],
    retries: settings.retries,
  };
}
