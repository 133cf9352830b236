#!/usr/bin/env node
// The CLI shell: the same pipeline as the action, for a laptop or any CI. Exit codes: 0 pass,
// 1 fail (thresholds not met), 2 error (bad input, endpoint not usable), 130 cancelled.
import { CONFIG_PATH, INIT_KINDS, initFiles, looksLikeVisionModel, type InitAnswers } from './init.js';
import {
  DEFAULT_SUITE_SIZE,
  parseSuiteSize,
  SUITE_PRESETS,
  SUITE_SIZE_EXPECTED,
  scenarioCount,
} from './suite-sizes.js';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { cliFlagName } from './config/load.js';
import { DEFAULT_ACCEPT_LABEL, DEFAULT_CONFIG_PATH } from './config/schema.js';
import { readRunContext } from './github/context.js';
import { pullRequestTrust } from './github/trusted-baselines.js';
import { errorMessage, ModelGateError } from './lib/errors.js';
import { logLine, terminalText } from './lib/untrusted.js';
import { INPUTS } from './inputs.js';
import { runModelGate, type RunRequest } from './pipeline.js';
import { loadingWaitText, progressLine } from './report/progress.js';
import {
  builtinSuiteDefinition,
  builtinSuiteIds,
  isSuiteFile,
  loadBuiltinSmokeSuite,
  loadSuite,
  readCatalog,
} from './suite/load.js';
import { VERSION } from './version.js';
import { defined } from './lib/defined.js';

const EXIT = { pass: 0, fail: 1, 'no-baseline': 0, incomparable: 0, error: 2, cancelled: 130 } as const;

/** One line per flag, from the one list of inputs. */
function runFlagsHelp(): string {
  return INPUTS.filter((input) => input.flag)
    .map((input) => `  ${`--${input.name} ${input.flag?.value ?? ''}`.padEnd(34)} ${input.flag?.summary ?? ''}`)
    .join('\n');
}

const HELP = `model-gate ${VERSION} — regression gate for self-hosted LLM and VLM endpoints

Usage:
  model-gate run [flags]              run the suite and gate it against the committed baselines
  model-gate baseline [flags]         run the suite and write (or extend) the baselines to commit
  model-gate merge --shards-dir DIR   gate the merged reports of sharded runs (run --shard i/n)
  model-gate merge-baseline --shards-dir DIR   write the baselines from them
  model-gate init                     write .github/model-gate.yml and .github/workflows/model-gate.yml
                                      (--kind, --base-url, --model; --vision or --text; --api-key-env;
                                      --dir; --force to replace them)
  model-gate suites                   list the built-in suites and their fingerprints
  model-gate render <suite> --out DIR write the suite's scenario images at a --suite-size (--fresh re-renders
                                      the committed ones)

Flags of "run", "baseline" and "merge" (the action's inputs, same names; docs/reference.md):
${runFlagsHelp()}
  --quiet                            no progress output

Exit status: 0 pass, no-baseline or incomparable; 1 fail; 2 error (bad input or unusable endpoint); 130 cancelled.
`;

class UsageError extends ModelGateError {
  constructor(message: string) {
    super('config', `${message} Run "model-gate --help" for usage.`);
  }
}

/** The flags of run, baseline and merge, as the pipeline's inputs; --quiet beside them. */
function runInputs(args: string[], mode: RunMode): { inputs: Record<string, string | undefined>; quiet: boolean } {
  const runFlags = INPUTS.filter((input) => input.flag).map((input) => input.name);
  const { values } = parseArgs({
    args,
    options: {
      ...Object.fromEntries(runFlags.map((name) => [name, { type: 'string' as const }])),
      quiet: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  const flagValues = values as Record<string, string | boolean | undefined>;
  return {
    inputs: { ...Object.fromEntries(runFlags.map((name) => [name, flagValues[name] as string | undefined])), mode },
    quiet: Boolean(values.quiet),
  };
}

/** Ctrl-C (or SIGTERM) cancels the run, which still writes its report; a second one quits at once. */
function cancelOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts += 1;
    if (interrupts > 1) process.exit(EXIT.cancelled);
    process.stderr.write(
      `\n${signal}: cancelling; writing the report with the samples taken so far (again to quit at once).\n`,
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}

/** Progress on stderr: a bar in a terminal, a line per call elsewhere, nothing with --quiet. */
function progressHooks(quiet: boolean) {
  // Diagnoses go to stderr, each once, whatever --quiet says: results go to stdout.
  const diagnosed = new Set<string>();
  const diagnose = (text: string | null) => {
    if (!text || diagnosed.has(text)) return;
    diagnosed.add(text);
    process.stderr.write(`model-gate: ${logLine(text)}\n`);
  };
  const bar =
    process.stderr.isTTY && !quiet
      ? new cliProgress.SingleBar(
          { format: ' {bar} {value}/{total} calls · {target} · {last}', hideCursor: true, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  const say = (line: string) => {
    if (!quiet) process.stderr.write(`${logLine(line)}\n`);
  };
  const hooks: Pick<RunRequest, 'log' | 'onPlan' | 'onPreflight' | 'onSample'> = {
    log: {
      info: say,
      warn: (line) => process.stderr.write(`warning: ${logLine(line)}\n`),
      debug: (line) => (process.env.MODEL_GATE_DEBUG ? process.stderr.write(`${logLine(line)}\n`) : undefined),
    },
    onPlan: (plan, suite, totalCalls) => {
      say(
        `model-gate ${VERSION}: suite ${suite.id} v${suite.version} (${suite.fingerprint.slice(7, 19)}), ${plan.targets.length} target(s), ${totalCalls} calls`,
      );
      bar?.start(totalCalls, 0, { target: '', last: 'preflight' });
    },
    onPreflight: (target, result) => {
      if (result.ok && result.loadingWaitMs) say(`Preflight ${target.name}: served${loadingWaitText(result)}.`);
      if (!result.ok) {
        bar?.stop();
        diagnose(result.diagnosis);
      }
    },
    onSample: (sample, progress) => {
      const last = sample.errorClass
        ? `error ${sample.errorClass}`
        : `${sample.scenario} ${Math.round(sample.latencyMs)} ms`;
      if (bar) bar.increment(1, { target: progress.target, last });
      else say(progressLine(sample, progress));
    },
  };
  return { hooks, say, diagnose, stopBar: () => bar?.stop() };
}

type RunMode = 'gate' | 'baseline' | 'merge' | 'merge-baseline';

async function runCommand(args: string[], mode: RunMode): Promise<number> {
  const { inputs, quiet } = runInputs(args, mode);
  const { signal, dispose } = cancelOnSignals();
  const { hooks, say, diagnose, stopBar } = progressHooks(quiet);
  try {
    const baselineRef = inputs['baseline-ref']?.trim() ?? '';
    const outcome = await runModelGate({
      inputs,
      trustedBaselines: baselineRef
        ? await pullRequestTrust({
            context: { ...readRunContext({}), pullRequest: null },
            octokit: null,
            acceptLabel: DEFAULT_ACCEPT_LABEL,
            baselineRef,
            workspace: process.cwd(),
          })
        : undefined,
      configPath: inputs.config?.trim() || DEFAULT_CONFIG_PATH,
      configRequired: Boolean(inputs.config?.trim()),
      env: process.env,
      nameOf: cliFlagName,
      signal,
      toolVersion: VERSION,
      ...hooks,
    });
    stopBar();
    process.stdout.write(`${terminalText(outcome.summaryMarkdown)}\n`);
    // A run that could not be gated says why on stderr too, where a script or a person looks for it.
    if (['error', 'incomparable', 'no-baseline'].includes(outcome.report.verdict))
      diagnose(outcome.report.verdictReason);
    say(`Report: ${resolve(outcome.reportPath)}`);
    if (outcome.report.status === 'cancelled') return EXIT.cancelled;
    if (outcome.report.verdict === 'fail' && outcome.report.gate?.onRegression === 'warn') return EXIT.pass;
    return EXIT[outcome.report.verdict];
  } finally {
    stopBar();
    dispose();
  }
}

function suitesCommand(): number {
  const catalog = readCatalog();
  for (const id of builtinSuiteIds()) {
    const read = builtinSuiteDefinition(id);
    const suite = loadBuiltinSmokeSuite(id, read);
    const { definition } = read;
    const committed =
      catalog[id]?.smoke === suite.fingerprint ? '' : '  (differs from suites/catalog.json: run npm run suites:render)';
    const sizes = SUITE_PRESETS.map((preset) => `${preset} ${scenarioCount(definition, preset)}`).join(', ');
    process.stdout.write(
      `${id}\tv${suite.version}\t${sizes} scenarios\t${catalog[id]?.standard ?? suite.fingerprint}${committed}\n\t${suite.title}\n`,
    );
  }
  return EXIT.pass;
}

async function initCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      kind: { type: 'string' },
      'base-url': { type: 'string' },
      model: { type: 'string' },
      vision: { type: 'boolean' },
      text: { type: 'boolean' },
      'api-key-env': { type: 'string' },
      dir: { type: 'string', default: '.' },
      force: { type: 'boolean' },
    },
    strict: true,
  });
  const ask = await askerFor(process.stdin.isTTY);
  const kind = values.kind ?? (await ask('--kind', `Server kind (${INIT_KINDS.join(', ')})`, 'vllm'));
  const knownKind = INIT_KINDS.find((entry) => entry === kind);
  if (!knownKind) throw new UsageError(`--kind is "${kind}": expected one of ${INIT_KINDS.join(', ')}.`);
  const baseUrl =
    values['base-url'] ??
    (await ask('--base-url', 'Base URL of its OpenAI-compatible API', 'http://127.0.0.1:8000/v1'));
  const model = values.model ?? (await ask('--model', 'Model name the server serves', ''));
  if (!model.trim()) throw new UsageError('init needs --model, the model name the server serves.');
  const vision = values.vision ?? (values.text ? false : looksLikeVisionModel(model));
  const answers: InitAnswers = {
    kind: knownKind,
    baseUrl,
    model: model.trim(),
    vision,
    ...(values['api-key-env'] ? { apiKeyEnv: values['api-key-env'] } : {}),
  };
  const written = initFiles(answers);
  // The config schema judges the answers: its message, under the flag that gave the field.
  if ('problem' in written) {
    const given: Record<string, string | undefined> = {
      'base-url': answers.baseUrl,
      model: answers.model,
      'api-key-env': answers.apiKeyEnv,
    };
    throw new UsageError(`--${written.field} is "${given[written.field] ?? ''}": ${written.problem}.`);
  }
  const { files, next } = written;
  const existing = files.filter((file) => existsSync(join(values.dir, file.path)));
  if (existing.length > 0 && !values.force)
    throw new UsageError(
      `${existing.map((file) => join(values.dir, file.path)).join(' and ')} already exist${existing.length === 1 ? 's' : ''}; add --force to replace ${existing.length === 1 ? 'it' : 'them'}.`,
    );
  for (const file of files) {
    mkdirSync(dirname(join(values.dir, file.path)), { recursive: true });
    writeFileSync(join(values.dir, file.path), file.text);
    process.stdout.write(`wrote ${join(values.dir, file.path)}\n`);
  }
  process.stdout.write(
    `Suite ${vision ? 'safety-checks (the model sees images)' : 'voice-commands (a text-only model)'}; change "suite" in ${join(values.dir, CONFIG_PATH)} if that is wrong.\n\nNext:\n${next.map((command) => `  ${command}`).join('\n')}\n`,
  );
  return EXIT.pass;
}

/** Asks on a terminal for what a flag did not give; elsewhere, says which flag is missing. */
async function askerFor(interactive: boolean | undefined) {
  if (!interactive)
    return (flag: string, question: string) =>
      Promise.reject(new UsageError(`init needs ${flag} (${question.toLowerCase()}) when it cannot ask.`));
  const { createInterface } = await import('node:readline/promises');
  return async (_flag: string, question: string, fallback: string) => {
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = (await prompt.question(`${question}${fallback ? ` [${fallback}]` : ''}: `)).trim();
      return answer || fallback;
    } finally {
      prompt.close();
    }
  };
}

async function renderCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { out: { type: 'string' }, fresh: { type: 'boolean' }, 'suite-size': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const id = positionals[0];
  const size = parseSuiteSize(values['suite-size'] ?? String(DEFAULT_SUITE_SIZE));
  if (size === null) throw new UsageError(`--suite-size is "${values['suite-size'] ?? ''}": ${SUITE_SIZE_EXPECTED}.`);
  if (!id || positionals.length > 1)
    throw new UsageError('render takes one suite id, e.g. "model-gate render safety-checks --out images".');
  if (!values.out) throw new UsageError('render needs --out DIR, the folder to write the images to.');
  const suite = await loadSuite(id, size);
  let fresh: Map<string, Buffer> | undefined;
  if (values.fresh && !isSuiteFile(id)) {
    const { renderSuiteImages } = await import('./suite/render-suite.js');
    fresh = await renderSuiteImages(builtinSuiteDefinition(id).definition);
  }
  mkdirSync(values.out, { recursive: true });
  let differing = 0;
  const shown = suite.scenarios.filter((scenario) => scenario.image !== null);
  for (const scenario of shown) {
    const image = defined(scenario.image, `image of ${scenario.id}`);
    const bytes = fresh?.get(scenario.id) ?? image.bytes;
    if (fresh && !bytes.equals(image.bytes)) differing += 1;
    writeFileSync(join(values.out, `${scenario.id}.${image.mediaType === 'image/jpeg' ? 'jpg' : 'png'}`), bytes);
  }
  const textOnly = suite.scenarios.length - shown.length;
  process.stdout.write(
    `${shown.length} images of ${suite.id} written to ${resolve(values.out)}${textOnly ? ` (${textOnly} scenarios are text only)` : ''}\n`,
  );
  if (fresh)
    process.stdout.write(
      differing === 0
        ? 'Re-rendered images are byte-identical to the committed ones.\n'
        : `${differing} re-rendered images differ from the committed ones.\n`,
    );
  return differing === 0 ? EXIT.pass : EXIT.fail;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
      case 'gate':
        return await runCommand(rest, 'gate');
      case 'baseline':
        return await runCommand(rest, 'baseline');
      case 'merge':
        return await runCommand(rest, 'merge');
      case 'merge-baseline':
        return await runCommand(rest, 'merge-baseline');
      case 'suites':
        return suitesCommand();
      case 'init':
        return await initCommand(rest);
      case 'render':
        return await renderCommand(rest);
      case '--version':
      case 'version':
        process.stdout.write(`${VERSION}\n`);
        return EXIT.pass;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(HELP);
        return command === undefined ? EXIT.error : EXIT.pass;
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
  } catch (error) {
    const message =
      error instanceof ModelGateError
        ? error.message
        : (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
          ? `${errorMessage(error)}. Run "model-gate --help" for usage.`
          : `Unexpected error: ${errorMessage(error)}`;
    process.stderr.write(`model-gate: ${logLine(message)}\n`);
    if (process.env.MODEL_GATE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return EXIT.error;
  }
}

// A reader that stops early (model-gate suites | head -1) closes the pipe: not an error, and not
// worth a stack trace. The run's own exit status stands.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.pass);
  });

process.exitCode = await main(process.argv.slice(2));
