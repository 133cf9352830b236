// Turns the config file and the action inputs / CLI flags into one validated Plan.
// Every error names where the bad value came from (file and line, input or flag) and what is allowed.
import { existsSync, readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { configError } from '../lib/errors.js';
import { nestingProblem } from '../lib/yaml-limits.js';
import { parseShard, type ShardSpec } from '../shard/slice.js';
import {
  alphaSchema,
  commentModeSchema,
  type ActionSettings,
  configFileSchema,
  DEFAULT_ACCEPT_LABEL,
  DEFAULT_ALPHA,
  DEFAULT_BASELINE_DIR,
  DEFAULT_REPORT_DIR,
  metricFromConfigName,
  modeSchema,
  onRegressionSchema,
  DEFAULT_SUITE,
  settingsSchema,
  targetSchema,
  thresholdsSchema,
  toRunSettings,
  type ConfigFile,
  type GateSettings,
  type Plan,
  type Target,
  type TargetConfig,
  type TargetCost,
  type Thresholds,
} from './schema.js';
import { DEFAULT_SUITE_SIZE, parseSuiteSize, SUITE_SIZE_EXPECTED, type SuiteSize } from '../suite-sizes.js';
import { fieldPath, issueProblem } from '../lib/schema-issues.js';
import { defined } from '../lib/defined.js';

const MAX_CONFIG_BYTES = 1024 * 1024;

/** Raw string values keyed by input name (`warm-runs`), as the action or the CLI received them. */
export type RawInputs = Record<string, string | undefined>;

/** How a shell names an input in messages: `input "warm-runs"` or `--warm-runs`. */
export type InputNamer = (name: string) => string;

export const actionInputName: InputNamer = (name) => `input "${name}"`;
export const cliFlagName: InputNamer = (name) => `--${name}`;

/** The keys a config section accepts, for "unknown key" messages. */
function allowedKeys(path: readonly PropertyKey[]): string {
  const section = path.find((key) => typeof key === 'string');
  const shape =
    section === 'settings'
      ? settingsSchema.shape
      : section === 'thresholds'
        ? thresholdsSchema.shape
        : section === 'targets'
          ? targetSchema.shape
          : section === 'gates'
            ? { margin: 0, gate: 0 }
            : configFileSchema.shape;
  return Object.keys(shape).join(', ');
}

/** Reads and validates a YAML config file. Returns undefined when an optional file is absent. */
export function loadConfigFile(path: string, options: { required: boolean }): ConfigFile | undefined {
  if (!existsSync(path)) {
    if (options.required) {
      throw configError(
        `Config file ${path} does not exist. Create it (see "Config file" in docs/usage.md) or point the config input / --config flag at the right path.`,
      );
    }
    return undefined;
  }
  const text = readFileSync(path, 'utf8');
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
    throw configError(
      `Config file ${path} is larger than 1 MiB; a model-gate config is a few dozen lines. Check that the path points at the right file.`,
    );
  }
  const nesting = nestingProblem(text);
  if (nesting) throw configError(`Config file ${path} ${nesting}. Check that the path points at the right file.`);
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  if (document.errors.length > 0) {
    const first = defined(document.errors[0], 'the first YAML error');
    throw configError(
      `Config file ${path} is not valid YAML (line ${lineOf(first.pos[0]) ?? '?'}): ${first.message.split('\n')[0]}. Fix the YAML syntax there.`,
    );
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 50 }) ?? {};
  } catch (error) {
    throw configError(
      `Config file ${path} could not be read as data: ${(error as Error).message}. Remove YAML aliases that expand into huge documents.`,
    );
  }
  const parsed = configFileSchema.safeParse(data);
  if (!parsed.success) {
    // One entry per problem, unknown keys pointed at themselves, in file order.
    const problems = parsed.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({
            path: [...issue.path, key],
            text: `unknown key (allowed here: ${allowedKeys(issue.path)})`,
          }))
        : [{ path: issue.path, text: issueProblem(issue) }],
    );
    const located = problems.map((problem) => {
      // A field left out has no node of its own: its parent's line points at where it belongs.
      const node =
        document.getIn(problem.path as (string | number)[], true) ??
        document.getIn(problem.path.slice(0, -1) as (string | number)[], true);
      const line = isNode(node) ? lineOf(node.range?.[0]) : undefined;
      return { ...problem, line };
    });
    located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const shown = located
      .slice(0, 5)
      .map(
        (problem) =>
          `${fieldPath(problem.path) || '(top level)'}${problem.line ? ` (line ${problem.line})` : ''}: ${problem.text}`,
      );
    const more = located.length > 5 ? ` (and ${located.length - 5} more)` : '';
    throw configError(
      `Config file ${path}: ${shown.join('; ')}${more}. See "Config file" in docs/usage.md for the allowed fields.`,
    );
  }
  return parsed.data;
}

function resolveSuiteSize(inputs: RawInputs, configFile: ConfigFile | undefined, nameOf: InputNamer): SuiteSize {
  const raw = inputs['suite-size'];
  if (!present(raw)) return configFile?.['suite-size'] ?? DEFAULT_SUITE_SIZE;
  const size = parseSuiteSize(raw);
  if (size === null) throw configError(`${nameOf('suite-size')} is "${raw}": ${SUITE_SIZE_EXPECTED}.`);
  return size;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/** Parses one numeric input against the same schema the config file uses. */
function numericInput(
  inputs: RawInputs,
  name: string,
  schema: z.ZodType<number | undefined>,
  nameOf: InputNamer,
): number | undefined {
  const raw = inputs[name];
  if (!present(raw)) return undefined;
  const value = Number(raw.trim());
  const result = schema.safeParse(Number.isFinite(value) ? value : NaN);
  if (!result.success) {
    throw configError(`${nameOf(name)} is "${raw}": ${result.error.issues[0]?.message ?? 'invalid value'}.`);
  }
  return result.data;
}

function resolveApiKey(
  target: { name: string; apiKeyEnv?: string; apiKey?: string },
  env: RawInputs,
  where: string,
): Pick<Target, 'apiKey' | 'apiKeySource'> {
  if (present(target.apiKey)) return { apiKey: target.apiKey, apiKeySource: where };
  if (!target.apiKeyEnv) return {};
  const value = env[target.apiKeyEnv];
  if (!present(value)) {
    throw configError(
      `Target "${target.name}" takes its API key from the environment variable ${target.apiKeyEnv} (${where}), but that variable is empty or unset. Set it in the step's env: from a secret, or remove api-key-env if the server needs no key.`,
    );
  }
  return { apiKey: value, apiKeySource: `environment variable ${target.apiKeyEnv}` };
}

function targetFromConfig(config: TargetConfig, env: RawInputs, configPath: string): Target {
  return {
    name: config.name,
    kind: config.kind,
    baseUrl: config['base-url'],
    model: config.model,
    jsonMode: config['json-mode'],
    ...(config['keep-alive'] !== undefined ? { keepAlive: config['keep-alive'] } : {}),
    ...(config['cold-start']
      ? {
          coldStart: {
            command: config['cold-start'].command,
            readyUrl: config['cold-start']['ready-url'] ?? null,
            readyTimeoutMs: Math.round(config['cold-start']['ready-timeout'] * 1000),
          },
        }
      : {}),
    ...(config.server
      ? {
          server: {
            start: config.server.start,
            stop: config.server.stop ?? null,
            stopGraceMs: Math.round(config.server['stop-grace'] * 1000),
          },
        }
      : {}),
    toolMode: config['tool-mode'],
    ...(config['compare-to'] ? { compareTo: config['compare-to'] } : {}),
    ...(config.cost ? { cost: costFromConfig(config.cost) } : {}),
    ...resolveApiKey(
      { name: config.name, apiKeyEnv: config['api-key-env'] },
      env,
      `${configPath}: targets.${config.name}`,
    ),
  };
}

function costFromConfig(cost: NonNullable<TargetConfig['cost']>): TargetCost {
  return {
    ...(cost['input-per-million'] !== undefined ? { inputPerMillion: cost['input-per-million'] } : {}),
    ...(cost['output-per-million'] !== undefined ? { outputPerMillion: cost['output-per-million'] } : {}),
    ...(cost['gpu-per-hour'] !== undefined ? { gpuPerHour: cost['gpu-per-hour'] } : {}),
    hoursPerMonth: cost['hours-per-month'],
    currency: cost.currency,
  };
}

/** Pairs must name another listed target, and a target takes part in one pair at most. */
function checkComparisons(targets: readonly Target[], configPath: string): void {
  const names = new Set(targets.map((target) => target.name));
  const paired = new Set<string>();
  for (const target of targets) {
    if (!target.compareTo) continue;
    const where = `${configPath}: targets.${target.name}.compare-to`;
    if (target.compareTo === target.name)
      throw configError(`${where} names the target itself; name the other target to compare with.`);
    if (!names.has(target.compareTo))
      throw configError(
        `${where} is "${target.compareTo}", which is not a target in this config (targets: ${[...names].join(', ')}).`,
      );
    for (const name of [target.name, target.compareTo]) {
      if (paired.has(name))
        throw configError(
          `${where}: "${name}" is already in another comparison; each target takes part in one comparison at most.`,
        );
      paired.add(name);
    }
  }
}

export function defaultTargetName(model: string): string {
  const name = model
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return name || 'default';
}

function targetFromInputs(inputs: RawInputs, env: RawInputs, nameOf: InputNamer): Target | undefined {
  const baseUrl = inputs['base-url'];
  const model = inputs.model;
  if (!present(baseUrl) && !present(model)) return undefined;
  if (!present(baseUrl))
    throw configError(
      `${nameOf('model')} is set but ${nameOf('base-url')} is not: give the server's OpenAI-compatible base URL, such as http://127.0.0.1:8000/v1.`,
    );
  if (!present(model))
    throw configError(
      `${nameOf('base-url')} is set but ${nameOf('model')} is not: give the model name the server serves (GET {base-url}/models lists them).`,
    );
  const fields: Record<string, unknown> = {
    name: present(inputs['target-name']) ? inputs['target-name'].trim() : defaultTargetName(model.trim()),
    'base-url': baseUrl,
    model,
  };
  if (present(inputs['api-key-env'])) fields['api-key-env'] = inputs['api-key-env'].trim();
  if (present(inputs['json-mode'])) fields['json-mode'] = inputs['json-mode'].trim();
  if (present(inputs.kind)) fields.kind = inputs.kind.trim();
  if (present(inputs['tool-mode'])) fields['tool-mode'] = inputs['tool-mode'].trim();
  const parsed = configTargetFromInputs(fields, inputs, nameOf);
  const apiKeyInput = inputs['api-key'];
  return {
    name: parsed.name,
    kind: parsed.kind,
    baseUrl: parsed['base-url'],
    model: parsed.model,
    jsonMode: parsed['json-mode'],
    toolMode: parsed['tool-mode'],
    ...resolveApiKey(
      {
        name: parsed.name,
        apiKeyEnv: parsed['api-key-env'],
        apiKey: present(apiKeyInput) ? apiKeyInput.trim() : undefined,
      },
      env,
      present(apiKeyInput) ? nameOf('api-key') : nameOf('api-key-env'),
    ),
  };
}

function configTargetFromInputs(fields: Record<string, unknown>, inputs: RawInputs, nameOf: InputNamer) {
  const inputNameOfKey: Record<string, string> = { name: 'target-name' };
  // The config file's target schema, so that inputs and files accept exactly the same values.
  const result = targetSchema.safeParse(fields);
  if (!result.success) {
    const issue = defined(result.error.issues[0], 'the first config issue');
    const key = String(issue.path[0] ?? '');
    const inputName = inputNameOfKey[key] ?? key;
    throw configError(`${nameOf(inputName)} is "${inputs[inputName] ?? ''}": ${issueProblem(issue)}.`);
  }
  return result.data;
}

/**
 * Builds the plan: inputs (or flags) win over the config file, which wins over defaults.
 * `env` is the process environment, passed in so that nothing below the shells reads it.
 */
export function resolvePlan(
  inputs: RawInputs,
  configFile: ConfigFile | undefined,
  env: RawInputs,
  nameOf: InputNamer,
  configPath = 'config file',
): Plan {
  const inputTarget = targetFromInputs(inputs, env, nameOf);
  const targets = inputTarget
    ? [inputTarget]
    : (configFile?.targets ?? []).map((target) => targetFromConfig(target, env, configPath));
  if (targets.length === 0) {
    throw configError(
      `No endpoint to test: set ${nameOf('base-url')} and ${nameOf('model')}, or list targets in the config file (${configPath}). Example: base-url http://127.0.0.1:8000/v1, model Qwen/Qwen2.5-VL-7B-Instruct.`,
    );
  }
  const seen = new Set<string>();
  for (const target of targets) {
    if (seen.has(target.name))
      throw configError(
        `${configPath}: two targets are named "${target.name}"; each target needs its own name (it names its baseline file).`,
      );
    seen.add(target.name);
  }
  checkComparisons(targets, configPath);

  const settingsShape = settingsSchema.shape;
  const fileSettings = configFile?.settings ?? {};
  const mergedSettings = settingsSchema.parse({
    ...fileSettings,
    ...Object.fromEntries(
      (Object.keys(settingsShape) as (keyof typeof settingsShape)[])
        .map((key) => [key, numericInput(inputs, key, settingsShape[key].unwrap(), nameOf)] as const)
        .filter(([, value]) => value !== undefined),
    ),
  });

  const thresholdShape = thresholdsSchema.shape;
  const thresholds: Thresholds = { ...(configFile?.thresholds ?? {}) };
  for (const key of Object.keys(thresholdShape) as (keyof typeof thresholdShape)[]) {
    const value = numericInput(inputs, key, thresholdShape[key], nameOf);
    if (value !== undefined) thresholds[key] = value;
  }

  const embeddings = configFile?.compare?.embeddings;
  let shard: ShardSpec | undefined;
  if (present(inputs.shard)) {
    shard = parseShard(inputs.shard) ?? undefined;
    if (!shard)
      throw configError(
        `${nameOf('shard')} is "${inputs.shard}": expected i/n with 1 ≤ i ≤ n ≤ 256, such as 2/4 (the second of four shards; in a matrix, \${{ matrix.shard }}/4).`,
      );
  }
  return {
    ...(shard ? { shard } : {}),
    suite: present(inputs.suite) ? inputs.suite.trim() : (configFile?.suite ?? DEFAULT_SUITE),
    suiteSize: resolveSuiteSize(inputs, configFile, nameOf),
    warmRunsAuto: mergedSettings['warm-runs'] === undefined,
    ...(embeddings
      ? {
          embeddings: {
            baseUrl: embeddings['base-url'],
            model: embeddings.model,
            ...resolveApiKey(
              { name: 'compare.embeddings', apiKeyEnv: embeddings['api-key-env'] },
              env,
              `${configPath}: compare.embeddings`,
            ),
          },
        }
      : {}),
    targets,
    settings: toRunSettings(mergedSettings),
    thresholds,
    gate: resolveGateSettings(inputs, configFile, nameOf),
    reportDir: present(inputs['report-dir'])
      ? inputs['report-dir'].trim()
      : (configFile?.['report-dir'] ?? DEFAULT_REPORT_DIR),
  };
}

function choiceInput<T extends string>(
  inputs: RawInputs,
  name: string,
  schema: z.ZodType<T>,
  nameOf: InputNamer,
): T | undefined {
  const raw = inputs[name];
  if (!present(raw)) return undefined;
  const result = schema.safeParse(raw.trim());
  if (!result.success)
    throw configError(`${nameOf(name)} is "${raw}": ${result.error.issues[0]?.message ?? 'invalid value'}.`);
  return result.data;
}

function booleanInput(inputs: RawInputs, name: string, nameOf: InputNamer): boolean | undefined {
  const raw = inputs[name];
  if (!present(raw)) return undefined;
  const value = raw.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw configError(`${nameOf(name)} is "${raw}": expected true or false.`);
}

function resolveGateSettings(inputs: RawInputs, configFile: ConfigFile | undefined, nameOf: InputNamer): GateSettings {
  const rules: GateSettings['rules'] = {};
  for (const [name, rule] of Object.entries(configFile?.gates ?? {})) {
    const metric = defined(metricFromConfigName(name), `metric ${name}`);
    rules[metric] = {
      ...(rule.margin !== undefined ? { margin: rule.margin } : {}),
      ...(rule.gate !== undefined ? { enabled: rule.gate } : {}),
    };
  }
  return {
    mode: choiceInput(inputs, 'mode', modeSchema, nameOf) ?? 'gate',
    baselineDir: present(inputs['baseline-dir'])
      ? inputs['baseline-dir'].trim()
      : (configFile?.['baseline-dir'] ?? DEFAULT_BASELINE_DIR),
    alpha: numericInput(inputs, 'alpha', alphaSchema, nameOf) ?? configFile?.alpha ?? DEFAULT_ALPHA,
    onRegression:
      choiceInput(inputs, 'on-regression', onRegressionSchema, nameOf) ?? configFile?.['on-regression'] ?? 'fail',
    confirmRuns: booleanInput(inputs, 'confirm-runs', nameOf) ?? configFile?.['confirm-runs'] ?? true,
    updateBaselineOnPass: booleanInput(inputs, 'update-baseline-on-pass', nameOf) ?? false,
    rules,
  };
}

/** The action's own inputs (comment, comment-key, github-token, tracking-issue), checked before the run. */
export function parseActionSettings(inputs: RawInputs, nameOf: InputNamer): ActionSettings {
  return {
    githubToken: inputs['github-token']?.trim() ?? '',
    acceptLabel: inputs['accept-label']?.trim() || DEFAULT_ACCEPT_LABEL,
    comment: choiceInput(inputs, 'comment', commentModeSchema, nameOf) ?? 'on-regression',
    commentKey: inputs['comment-key']?.trim() ?? '',
    trackingIssue: booleanInput(inputs, 'tracking-issue', nameOf) ?? true,
  };
}
