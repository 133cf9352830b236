// The GitHub Action shell: reads and checks every input once, runs the pipeline, sets outputs,
// writes the step summary, publishes the comment and the tracking issue, and is the one place
// that turns the verdict into the step's exit status.
import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { actionInputName, parseActionSettings } from './config/load.js';
import { DEFAULT_CONFIG_PATH, planSecrets, type ActionSettings } from './config/schema.js';
import { octokitCommentApi, publishComment } from './github/comment.js';
import { readRunContext, type RunContext } from './github/context.js';
import type { OctokitIssues } from './github/octokit.js';
import { artifactShardTransport } from './github/shard-transport.js';
import { octokitIssueApi, updateTrackingIssue } from './github/tracking.js';
import { pullRequestTrust } from './github/trusted-baselines.js';
import type { TrustedBaselines } from './lib/trusted.js';
import { INPUTS, RUN_INPUT_NAMES } from './inputs.js';
import { errorMessage, ModelGateError } from './lib/errors.js';
import { runModelGate, type RunOutcome, type RunRequest } from './pipeline.js';
import { commentMarkerFor, stepSummary } from './report/comment.js';
import { loadingWaitText, progressLine } from './report/progress.js';
import { VERSION } from './version.js';
import { logLine } from './lib/untrusted.js';
import { boundedFetch } from './lib/bounded-fetch.js';

/**
 * The runner's log. Every message may quote a server, a model or a config, so each is made one inert
 * line first: no workflow command (::…, ##[…), no escape sequence.
 */
const log = {
  info: (text: string) => core.info(logLine(text)),
  debug: (text: string) => core.debug(logLine(text)),
  warning: (text: string, properties?: core.AnnotationProperties) => core.warning(logLine(text), properties),
  notice: (text: string) => core.notice(logLine(text)),
  failed: (text: string) => core.setFailed(logLine(text)),
};

/** Masks each secret once, as soon as it is known. */
function masker(): (secret: string | undefined) => void {
  const masked = new Set<string>();
  return (secret) => {
    if (secret && !masked.has(secret)) core.setSecret(secret);
    if (secret) masked.add(secret);
  };
}

/** Cancellation on SIGINT and SIGTERM: the pipeline still writes the report of what it took. */
function cancelOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const handler = () => {
      log.warning(`Received ${name}: cancelling the run; the report will hold the samples taken so far.`);
      controller.abort();
    };
    process.once(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    dispose: () => handlers.forEach(([name, handler]) => process.off(name, handler)),
  };
}

/** A publication's outcome in the log: a failure as a warning, a refused write as a notice. */
function logPublication(status: { status: string; message: string | null }): void {
  if (status.status === 'failed') log.warning(status.message ?? '');
  else if (status.status === 'not-allowed') log.notice(status.message ?? '');
  else if (status.message) log.info(status.message);
}

/** One GitHub API call, body included. */
const GITHUB_CALL_TIMEOUT_MS = 30_000;

function octokitFor(
  settings: ActionSettings | undefined,
  context: RunContext,
  signal: AbortSignal,
): OctokitIssues | null {
  return settings?.githubToken && context.repository
    ? (getOctokit(settings.githubToken, {
        baseUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com',
        // A GitHub call that trickles or hangs must not hold the job: each has a deadline and a size cap.
        // Cancelling the job ends a call in flight too.
        request: { fetch: boundedFetch({ timeoutMs: GITHUB_CALL_TIMEOUT_MS }), signal },
      }) as unknown as OctokitIssues)
    : null;
}

/** The sticky comment and the nightly tracking issue; neither ever changes the gate's result. */
async function publish(
  outcome: RunOutcome,
  settings: ActionSettings,
  context: RunContext,
  marker: string,
  octokit: OctokitIssues | null,
) {
  const { repository } = context;
  // A shard job holds a slice: the merge job comments and tracks, once, for all of them.
  const shardJob = outcome.report.shard !== null && outcome.report.shard.index !== null;
  const published = shardJob
    ? {
        status: 'skipped' as const,
        url: null,
        message: 'No pull-request comment from a shard job: the merge job (mode merge) writes it for all shards.',
      }
    : await publishComment({
        api: octokit && repository ? octokitCommentApi(octokit, repository.owner, repository.repo) : null,
        context,
        mode: settings.comment,
        marker,
        body: outcome.commentMarkdown,
        // A pull request that changes its own baselines always hears about it.
        regressed: outcome.report.verdict === 'fail' || outcome.report.baselines.some((use) => use.change),
      });
  logPublication(published);
  core.setOutput('comment-url', published.url ?? '');
  logPublication(
    await updateTrackingIssue({
      api: octokit && repository ? octokitIssueApi(octokit, repository.owner, repository.repo) : null,
      context,
      enabled: settings.trackingIssue && !shardJob,
      marker,
      verdict: outcome.report.verdict,
      body: outcome.commentMarkdown,
    }),
  );
}

/** What the log says as the run goes: the plan, each preflight, each call. */
function logHooks(mask: (secret: string | undefined) => void): Pick<RunRequest, 'onPlan' | 'onPreflight' | 'onSample'> {
  return {
    onPlan: (plan, suite, totalCalls) => {
      for (const secret of planSecrets(plan)) mask(secret);
      log.info(
        `model-gate ${VERSION}: suite ${suite.id} v${suite.version} (${suite.fingerprint.slice(7, 19)}), ${plan.targets.length} target(s), ${totalCalls} calls.`,
      );
    },
    onPreflight: (target, result) => {
      if (result.ok)
        log.info(
          `Preflight ${target.name}: ${target.model} is served (${result.servedModels.length} model(s) listed)${loadingWaitText(result)}.`,
        );
      else log.info(`Preflight ${target.name} failed (see the error below).`);
    },
    onSample: (sample, progress) => log.info(progressLine(sample, progress)),
  };
}

export async function run(): Promise<void> {
  const { signal, dispose } = cancelOnSignals();
  try {
    const inputs = Object.fromEntries(INPUTS.map((input) => [input.name, core.getInput(input.name)]));
    const mask = masker();
    mask(inputs['api-key']);
    mask(inputs['github-token']);
    // Checked before the run; a mistake still leaves a report, which names it.
    let settings: ActionSettings | undefined;
    let inputError: ModelGateError | undefined;
    try {
      settings = parseActionSettings(inputs, actionInputName);
    } catch (error) {
      inputError = error instanceof ModelGateError ? error : new ModelGateError('config', errorMessage(error));
    }
    const context = readRunContext(process.env);
    const configInput = inputs.config?.trim() ?? '';
    const commentKey = settings?.commentKey ?? '';
    const marker = commentMarkerFor(commentKey || `${context.workflow}/${inputs.suite || configInput || 'default'}`);
    const octokit = octokitFor(settings, context, signal);
    let trustedBaselines: TrustedBaselines | undefined;
    if (settings && !inputError)
      try {
        trustedBaselines = await pullRequestTrust({
          context,
          octokit,
          acceptLabel: settings.acceptLabel,
          baselineRef: inputs['baseline-ref']?.trim() ?? '',
          workspace: process.env.GITHUB_WORKSPACE ?? process.cwd(),
        });
      } catch (error) {
        inputError = error instanceof ModelGateError ? error : new ModelGateError('baseline', errorMessage(error));
      }

    const outcome = await runModelGate({
      inputs: Object.fromEntries(RUN_INPUT_NAMES.map((name) => [name, inputs[name]])),
      inputError,
      configPath: configInput || DEFAULT_CONFIG_PATH,
      configRequired: configInput !== '',
      env: process.env,
      nameOf: actionInputName,
      signal,
      trustedBaselines,
      toolVersion: VERSION,
      log: { info: log.info, warn: (text) => log.warning(text), debug: log.debug },
      comment: { marker, runUrl: context.runUrl },
      ...artifactShardTransport(process.env, commentKey, log.info),
      ...logHooks(mask),
    });

    core.setOutput('report', outcome.reportPath);
    core.setOutput('report-dir', outcome.reportDir);
    core.setOutput('verdict', outcome.report.verdict);
    core.setOutput('regressions', String(outcome.report.regressions));
    core.setOutput('summary', outcome.summaryLine);
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(stepSummary(outcome.report)).write();
    log.info(outcome.summaryLine);
    log.info(`Report: ${outcome.reportPath}`);

    if (settings) await publish(outcome, settings, context, marker, octokit);
    const { verdict, verdictReason, gate } = outcome.report;
    for (const regression of outcome.report.metricVerdicts.filter((entry) => entry.status === 'regressed')) {
      log.warning(`${regression.metric} regressed on ${regression.target}: ${regression.reason}`, {
        title: 'model-gate regression',
      });
    }
    if (verdict === 'error' || (verdict === 'fail' && gate?.onRegression !== 'warn')) log.failed(verdictReason);
    else if (verdict !== 'pass') log.warning(verdictReason);
  } catch (error) {
    core.debug(error instanceof Error && error.stack ? error.stack : String(error));
    log.failed(errorMessage(error));
  } finally {
    dispose();
  }
}
