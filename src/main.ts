// The GitHub Action shell: reads inputs once, runs the pipeline, sets outputs, writes the step
// summary, and is the one place that turns the verdict into the step's exit status.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { actionInputName } from './config/load.js';
import { DEFAULT_CONFIG_PATH } from './config/schema.js';
import { errorMessage } from './lib/errors.js';
import { RUN_INPUT_NAMES } from './inputs.js';
import { readRunContext } from './github/context.js';
import type { OctokitIssues } from './github/octokit.js';
import { COMMENT_MODES, octokitCommentApi, publishComment, type CommentMode } from './github/comment.js';
import { octokitIssueApi, updateTrackingIssue } from './github/tracking.js';
import { runModelGate } from './pipeline.js';
import { commentMarkerFor } from './report/comment.js';
import { VERSION } from './version.js';

/** GitHub drops a step summary over 1 MiB entirely; stay well under it. */
const STEP_SUMMARY_MAX_BYTES = 900 * 1024;

function capForStepSummary(markdown: string): string {
  if (Buffer.byteLength(markdown) <= STEP_SUMMARY_MAX_BYTES) return markdown;
  const cut = markdown.slice(0, STEP_SUMMARY_MAX_BYTES / 2);
  return `${cut.slice(0, cut.lastIndexOf('\n'))}\n\n… (summary cut to fit GitHub's step summary limit; the full text is in summary.md in the report folder)\n`;
}

export async function run(): Promise<void> {
  const controller = new AbortController();
  const cancel = (signal: string) => {
    core.warning(`Received ${signal}: cancelling the run; the report will hold the samples taken so far.`);
    controller.abort();
  };
  const onSigint = () => cancel('SIGINT');
  const onSigterm = () => cancel('SIGTERM');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  try {
    const inputs = Object.fromEntries(RUN_INPUT_NAMES.map((name) => [name, core.getInput(name)]));
    const masked = new Set<string>();
    const mask = (secret: string | undefined) => {
      if (secret && !masked.has(secret)) core.setSecret(secret);
      if (secret) masked.add(secret);
    };
    mask(inputs['api-key']);
    const configInput = inputs.config?.trim() ?? '';
    const token = core.getInput('github-token');
    mask(token);
    const commentMode = core.getInput('comment') || 'on-regression';
    const context = readRunContext(process.env);
    const commentKey = core.getInput('comment-key');
    const marker = commentMarkerFor(commentKey || `${context.workflow}/${inputs.suite || inputs.config || 'default'}`);

    const outcome = await runModelGate({
      inputs,
      configPath: configInput || DEFAULT_CONFIG_PATH,
      configRequired: configInput !== '',
      env: process.env,
      nameOf: actionInputName,
      signal: controller.signal,
      toolVersion: VERSION,
      log: { info: core.info, warn: core.warning, debug: core.debug },
      comment: { marker, runUrl: context.runUrl },
      // The artifact client (and the Azure storage client under it) is loaded only by sharded runs.
      publishShard: async ({ reportDir, names }, suite, shard) => {
        const { artifactServiceAvailable, shardArtifactPrefix, uploadShardReport } =
          await import('./github/artifacts.js');
        if (!artifactServiceAvailable(process.env)) {
          core.info(`No artifact service here (not a GitHub Actions job): the shard's report stays in ${reportDir}.`);
          return;
        }
        const name = await uploadShardReport(shardArtifactPrefix(commentKey || suite.id), shard, reportDir, names);
        core.info(`Shard ${shard.index} of ${shard.count}: report uploaded as artifact ${name}, for the merge job.`);
      },
      fetchShards: async (suite) => {
        const { artifactServiceAvailable, downloadShardReports, shardArtifactPrefix } =
          await import('./github/artifacts.js');
        const into = join(process.env.RUNNER_TEMP ?? tmpdir(), 'model-gate-shards');
        if (!artifactServiceAvailable(process.env)) return into;
        const names = await downloadShardReports(shardArtifactPrefix(commentKey || suite.id), into);
        core.info(`Downloaded ${names.length} shard report(s): ${names.join(', ') || 'none'}.`);
        return into;
      },
      onPlan: (plan, suite, totalCalls) => {
        for (const target of plan.targets) mask(target.apiKey);
        core.info(
          `model-gate ${VERSION}: suite ${suite.id} v${suite.version} (${suite.fingerprint.slice(7, 19)}), ${plan.targets.length} target(s), ${totalCalls} calls.`,
        );
      },
      onPreflight: (target, result) => {
        if (result.ok)
          core.info(
            `Preflight ${target.name}: ${target.model} is served (${result.servedModels.length} model(s) listed).`,
          );
        else core.info(`Preflight ${target.name} failed (see the error below).`);
      },
      onSample: (sample, progress) => {
        const outcome = sample.errorClass
          ? `error ${sample.errorClass}`
          : sample.anomaly
            ? sample.detected
              ? 'detected'
              : 'missed'
            : sample.flagged
              ? 'false positive'
              : 'clean';
        core.info(
          `[${progress.done}/${progress.total}] ${progress.target} · ${sample.scenario} · ${sample.phase}${sample.phase === 'warm' ? ` run ${sample.run}` : ''} · ${Math.round(sample.latencyMs)} ms · ${outcome}${sample.jsonValid || sample.errorClass ? '' : ' · invalid JSON'}`,
        );
      },
    });

    core.setOutput('report', outcome.reportPath);
    core.setOutput('report-dir', outcome.reportDir);
    core.setOutput('verdict', outcome.report.verdict);
    core.setOutput('regressions', String(outcome.report.regressions));
    core.setOutput('summary', outcome.summaryLine);
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(capForStepSummary(outcome.summaryMarkdown)).write();
    core.info(outcome.summaryLine);
    core.info(`Report: ${outcome.reportPath}`);

    // Checked after the run, so that a mistake here still leaves the report written.
    if (!COMMENT_MODES.includes(commentMode as CommentMode))
      throw new Error(`input "comment" is "${commentMode}": expected always, on-regression or never.`);
    const trackingIssue = core.getInput('tracking-issue') === '' || core.getBooleanInput('tracking-issue');
    // The comment never changes the gate's result: a read-only token or an API error is a notice.
    const octokit =
      token && context.repository
        ? getOctokit(token, { baseUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com' })
        : null;
    const repository = context.repository;
    const api =
      octokit && repository
        ? octokitCommentApi(octokit as unknown as OctokitIssues, repository.owner, repository.repo)
        : null;
    // A shard job holds a slice: the merge job comments and tracks, once, for all of them.
    const shardJob = outcome.report.shard !== null && outcome.report.shard.index !== null;
    const published = shardJob
      ? {
          status: 'skipped' as const,
          url: null,
          message: 'No pull-request comment from a shard job: the merge job (mode merge) writes it for all shards.',
        }
      : await publishComment({
          api,
          context,
          mode: commentMode as CommentMode,
          marker,
          body: outcome.commentMarkdown,
          regressed: outcome.report.verdict === 'fail',
        });
    if (published.status === 'failed') core.warning(published.message);
    else if (published.status === 'not-allowed') core.notice(published.message);
    else core.info(published.message);
    core.setOutput('comment-url', published.url ?? '');

    const tracking = await updateTrackingIssue({
      api:
        octokit && repository
          ? octokitIssueApi(octokit as unknown as OctokitIssues, repository.owner, repository.repo)
          : null,
      context,
      enabled: trackingIssue && !shardJob,
      marker,
      failing: outcome.report.verdict === 'fail' || outcome.report.verdict === 'error',
      body: outcome.commentMarkdown,
    });
    if (tracking.status === 'failed') core.warning(tracking.message);
    else if (tracking.status === 'not-allowed') core.notice(tracking.message);
    else if (tracking.message) core.info(tracking.message);
    const { verdict, verdictReason, gate } = outcome.report;
    for (const regression of outcome.report.metricVerdicts.filter((entry) => entry.status === 'regressed')) {
      core.warning(`${regression.metric} regressed on ${regression.target}: ${regression.reason}`, {
        title: 'model-gate regression',
      });
    }
    if (verdict === 'error' || (verdict === 'fail' && gate?.onRegression !== 'warn')) core.setFailed(verdictReason);
    else if (verdict !== 'pass') core.warning(verdictReason);
  } catch (error) {
    core.debug(error instanceof Error && error.stack ? error.stack : String(error));
    core.setFailed(errorMessage(error));
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigterm);
  }
}
