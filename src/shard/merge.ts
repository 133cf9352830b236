// mode: merge — the shards' partial reports (report.json and samples.jsonl each, as the shard jobs
// uploaded them) checked for completeness and sameness, then merged into one run to gate once.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Plan, Target } from '../config/schema.js';
import { ModelGateError } from '../lib/errors.js';
import { reportSchema, type Report } from '../report/report.js';
import type { TargetRun } from '../run/runner.js';
import { sampleSchema, type Sample } from '../run/sample.js';
import type { Suite } from '../suite/schema.js';
import { defined } from '../lib/defined.js';

const shardError = (message: string) => new ModelGateError('report', message);

interface ShardReport {
  folder: string;
  report: Report & { shard: NonNullable<Report['shard']> & { index: number } };
  samples: Sample[];
}

/** Every report.json in the folder or one level below it (an artifact download puts each in its own folder). */
function reportFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const direct = join(dir, 'report.json');
  const nested = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(dir, entry.name, 'report.json'));
  return [direct, ...nested].filter((path) => existsSync(path)).sort();
}

function readShard(path: string, dir: string): ShardReport {
  const folder = join(path, '..');
  const where = relative(dir, folder) || '.';
  let report: Report;
  try {
    report = reportSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    throw shardError(
      `The shard report ${path} cannot be read (${(error as Error).message.split('\n')[0]}): its upload was damaged or it is not a model-gate report. Re-run that shard's job.`,
    );
  }
  if (!report.shard || report.shard.index === null)
    throw shardError(
      `The report in ${where} is not a shard's report (it was not run with shard: i/n); keep only shard reports in the shards folder.`,
    );
  const samplesPath = join(folder, report.files.samples);
  const samples = existsSync(samplesPath)
    ? readFileSync(samplesPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => sampleSchema.parse(JSON.parse(line)))
    : [];
  return { folder: where, report: report as ShardReport['report'], samples };
}

const listed = (indexes: readonly number[]) =>
  indexes.length <= 1 ? String(indexes[0] ?? 'none') : `${indexes.slice(0, -1).join(', ')} and ${indexes.at(-1)}`;

/** Reads, checks and merges the shard reports under `dir` into one run of `suite` for `plan`'s targets. */
export function mergeShards(dir: string, plan: Plan, suite: Suite): { targets: TargetRun[]; count: number } {
  const paths = reportFiles(dir);
  if (paths.length === 0) {
    throw shardError(
      `No shard reports under ${dir}: the shard jobs (shard: 1/n … n/n) must finish first and upload their reports; make the merge job depend on them (needs:) and check that their uploads succeeded.`,
    );
  }
  const shards = paths.map((path) => readShard(path, dir));
  const first = defined(shards[0], 'the first shard');
  const count = first.report.shard.count;
  const disagreeing = shards.find((shard) => shard.report.shard.count !== count);
  if (disagreeing)
    throw shardError(
      `The shard reports disagree on the number of shards: ${first.folder} says ${count}, ${disagreeing.folder} says ${disagreeing.report.shard.count}. Clear out reports of older runs and give every job shard: i/${count}.`,
    );
  const byIndex = new Map<number, ShardReport>();
  for (const shard of shards) {
    const earlier = byIndex.get(shard.report.shard.index);
    if (earlier)
      throw shardError(
        `Shard ${shard.report.shard.index} of ${count} appears twice (in ${earlier.folder} and ${shard.folder}): two jobs ran the same shard. Give each matrix job its own shard input, 1/${count} to ${count}/${count}.`,
      );
    byIndex.set(shard.report.shard.index, shard);
  }
  const missing = Array.from({ length: count }, (_, index) => index + 1).filter((index) => !byIndex.has(index));
  if (missing.length > 0) {
    throw shardError(
      `Shard${missing.length > 1 ? 's' : ''} ${listed(missing)} of ${count} ${missing.length > 1 ? 'are' : 'is'} missing under ${dir} (found ${listed([...byIndex.keys()].sort((a, b) => a - b))}): ${missing.length > 1 ? 'their jobs' : 'its job'} failed or ${missing.length > 1 ? 'were' : 'was'} cancelled before uploading. Re-run the failed jobs, then the merge.`,
    );
  }
  const ordered = [...byIndex.values()].sort((a, b) => a.report.shard.index - b.report.shard.index);
  for (const shard of ordered) {
    const label = `Shard ${shard.report.shard.index} of ${count} (${shard.folder})`;
    if (shard.report.status === 'failed')
      throw shardError(`${label} failed before measuring: ${shard.report.verdictReason}`);
    const shardSize = shard.report.suite?.size;
    if (shardSize && (shardSize.preset !== suite.size.preset || shardSize.scenarios !== suite.size.scenarios))
      throw shardError(
        `${label} ran suite ${suite.id} at size ${shardSize.preset} (${shardSize.scenarios} scenarios), but this merge has size ${suite.size.preset} (${suite.size.scenarios}): give the merge job the shards' suite-size.`,
      );
    if (shard.report.suite?.fingerprint !== suite.fingerprint) {
      throw shardError(
        `${label} ran suite ${shard.report.suite?.id ?? '?'} with fingerprint ${shard.report.suite?.fingerprint.slice(7, 19) ?? '?'}, but this merge has ${suite.id} with ${suite.fingerprint.slice(7, 19)}: the jobs ran different versions of the suite. Run the shards and the merge from one commit.`,
      );
    }
    const settings = shard.report.settings;
    const differing = (['warmRuns', 'latencyConcurrency', 'temperature', 'maxTokens', 'timeoutMs'] as const).filter(
      (key) => settings?.[key] !== undefined && settings[key] !== plan.settings[key],
    );
    if (differing.length > 0)
      throw shardError(
        `${label} ran with other settings than this merge (${differing.map((key) => `${key} ${String(settings?.[key])} here ${plan.settings[key]}`).join(', ')}): give the shard jobs and the merge job the same inputs.`,
      );
    const names = shard.report.targets
      .map((target) => target.name)
      .sort()
      .join(', ');
    const expected = plan.targets
      .map((target) => target.name)
      .sort()
      .join(', ');
    if (names !== expected)
      throw shardError(
        `${label} measured targets ${names || 'none'}, this merge expects ${expected}: give the shard jobs and the merge job the same targets.`,
      );
  }
  const covered = ordered.flatMap((shard) => shard.report.shard.scenarios);
  const uncovered = suite.scenarios.filter((scenario) => !covered.includes(scenario.id)).map((scenario) => scenario.id);
  if (uncovered.length > 0)
    throw shardError(
      `The shards together leave out scenario${uncovered.length > 1 ? 's' : ''} ${uncovered.join(', ')}: they were split from another baseline. Run the shards and the merge from one commit.`,
    );

  const targets = plan.targets.map((target: Target): TargetRun => {
    const parts = ordered.map((shard) =>
      defined(
        shard.report.targets.find((entry) => entry.name === target.name),
        `target ${target.name} in a shard`,
      ),
    );
    const firstPart = defined(parts[0], 'the first shard');
    const failed = parts.find((part) => !part.preflight.ok);
    return {
      target,
      preflight: failed?.preflight ?? firstPart.preflight,
      coldStart: firstPart.coldStart,
      outages: parts.flatMap((part) => part.outages),
      retries: parts.every((part) => part.retries === null)
        ? null
        : {
            retried: parts.reduce((sum, part) => sum + (part.retries?.retried ?? 0), 0),
            byClass: parts.reduce<Record<string, number>>((all, part) => {
              for (const [errorClass, value] of Object.entries(part.retries?.byClass ?? {}))
                all[errorClass] = (all[errorClass] ?? 0) + value;
              return all;
            }, {}),
            budget: parts.reduce((sum, part) => sum + (part.retries?.budget ?? 0), 0),
            exhausted: parts.some((part) => part.retries?.exhausted),
          },
      plannedCalls: parts.reduce((sum, part) => sum + part.plannedCalls, 0),
      // Shard 1's cold call comes first, so it is the one the metrics take; the others stay samples.
      samples: ordered.flatMap((shard) => shard.samples.filter((sample) => sample.target === target.name)),
      // A shard that stopped short (cancelled, or its calls cut off) leaves the merged run incomplete.
      stopped:
        ordered
          .flatMap((shard, index) => {
            const part = defined(parts[index], 'a shard part');
            const cancelled = shard.report.status === 'cancelled';
            if (!cancelled && (part.stopped || part.completedCalls >= part.plannedCalls)) return part.stopped ?? [];
            return [
              `Shard ${shard.report.shard.index} of ${count} (${shard.folder}) ${cancelled ? 'was cancelled' : 'stopped'} after ${part.completedCalls} of its ${part.plannedCalls} calls, so its scenarios are not all measured: re-run that shard's job, then the merge.`,
            ];
          })
          .join(' ') || null,
    };
  });
  return { targets, count };
}
