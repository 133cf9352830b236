// Sharding on the Actions matrix, end to end with the bundled action: four shard jobs each run a
// balanced slice and upload their report through @actions/artifact to a local artifact service;
// the merge job downloads them, checks them and gates once. A missing or duplicated shard, or a
// shard of another suite version, is one clear error.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectedCosts, shardSlices } from '../src/shard/slice.js';
import { loadBuiltinSmokeSuite } from '../src/suite/load.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { copyAction, runAction } from './helpers/action.js';
import { runCli } from './helpers/processes.js';
import {
  REPO_ROOT,
  startArtifactServer,
  startGithubServer,
  startOpenAIServer,
  stopAllServers,
  type TestServer,
} from './helpers/servers.js';
import { readReport, samplesWritten } from './helpers/runs.js';

let actionDir: string;
let server: TestServer;
beforeAll(async () => {
  actionDir = copyAction();
  server = await startOpenAIServer(suiteProgramme({ latency: { ttftMs: 30, perTokenMs: 0.5 } }, 'voice-commands'));
});
afterAll(stopAllServers);

describe('the split', () => {
  it('is stable, covers every scenario once, and balances expected cost rather than count', () => {
    const suite = loadBuiltinSmokeSuite('slide-extraction');
    const costs = expectedCosts(suite.scenarios, undefined);
    const first = shardSlices(suite.scenarios, 4, costs);
    expect(shardSlices(suite.scenarios, 4, costs)).toEqual(first);
    expect(
      first
        .flat()
        .map((scenario) => scenario.id)
        .sort(),
    ).toEqual(suite.scenarios.map((scenario) => scenario.id).sort());
    // Measured costs from a baseline: one slow scenario gets a shard to itself.
    const measured = new Map(suite.scenarios.map((scenario, index) => [scenario.id, index === 0 ? 900 : 100]));
    const slices = shardSlices(suite.scenarios, 2, measured);
    expect(slices.find((slice) => slice.some((scenario) => scenario.id === suite.scenarios[0]!.id))).toHaveLength(1);
  });
});

/** What every shard job of the three-shard voice-commands run is given, against a server. */
const shardFlags = (at: TestServer) => [
  '--base-url',
  `${at.url}/v1`,
  '--model',
  'test-model',
  '--suite',
  'voice-commands',
  '--warm-runs',
  '1',
  '--quiet',
];

describe('sharding on the Actions matrix', () => {
  it('four shard jobs upload their reports; a merge job writes the baseline from them, a later one downloads, checks and gates them once', async () => {
    const artifacts = await startArtifactServer();
    const github = await startGithubServer({ tokens: { 'ghs_shards-token': 'write' } });
    const commenting = { comment: 'always', 'github-token': 'ghs_shards-token' };
    const workspace = mkdtempSync(join(tmpdir(), 'model-gate-shards-'));
    const inputs = { 'base-url': `${server.url}/v1`, model: 'test-model', suite: 'voice-commands', 'warm-runs': '2' };
    const mergeWorkspace = join(workspace, 'merge');
    mkdirSync(join(mergeWorkspace, '.github'), { recursive: true });
    // Four shard jobs on this machine at once, beside the other test files: latency here is the
    // machine's load, so this test gates quality only (the gate's latency tests are in gate.test.ts).
    writeFileSync(
      join(mergeWorkspace, '.github', 'model-gate.yml'),
      'gates:\n  warm-latency-p50-ms: { gate: false }\n  warm-latency-p95-ms: { gate: false }\n  cold-start-ms: { gate: false }\n',
    );
    const shardJobs = (run: string) =>
      Promise.all(
        [1, 2, 3, 4].map((index) => {
          const jobWorkspace = join(workspace, `${run}-shard-${index}`);
          mkdirSync(jobWorkspace, { recursive: true });
          return runAction(
            actionDir,
            { ...inputs, ...commenting, shard: `${index}/4` },
            { workspace: jobWorkspace, env: { ...artifacts.jobEnv(run, `job-${index}`), GITHUB_API_URL: github.url } },
          );
        }),
      );
    const mergeJob = (run: string, mode: string) =>
      runAction(
        actionDir,
        { ...inputs, ...commenting, mode },
        {
          workspace: mergeWorkspace,
          env: {
            ...artifacts.jobEnv(run, 'job-merge'),
            RUNNER_TEMP: join(workspace, `${run}-tmp`),
            GITHUB_API_URL: github.url,
          },
        },
      );

    const first = await shardJobs('run-7');
    for (const job of first)
      expect({ code: job.result.code, verdict: job.outputs.verdict }).toEqual({ code: 0, verdict: 'pass' });
    expect(first[1]!.result.stdout).toContain(
      'Shard 2 of 4: report uploaded as artifact model-gate-voice-commands-shard-2-of-4, for the merge job.',
    );
    expect((await artifacts.state()).artifacts.map((artifact) => artifact.name).sort()).toEqual(
      [1, 2, 3, 4].map((index) => `model-gate-voice-commands-shard-${index}-of-4`),
    );
    const sliceSizes = first.map((job) => readReport(join(job.workspace, 'model-gate-report')).shard!.scenarios.length);
    expect(sliceSizes.reduce((sum, size) => sum + size, 0)).toBe(30);
    expect(Math.max(...sliceSizes) - Math.min(...sliceSizes)).toBeLessThanOrEqual(2);
    const baseline = await mergeJob('run-7', 'merge-baseline');
    expect(baseline.result.stdout).toContain('Downloaded 4 shard report(s)');
    expect(baseline.outputs.verdict).toBe('pass');
    expect(
      (
        JSON.parse(readFileSync(join(mergeWorkspace, 'baselines', 'voice-commands', 'test-model.json'), 'utf8')) as {
          settings: { shards: number };
        }
      ).settings.shards,
    ).toBe(4);

    // The baseline is committed on the base branch, where the pull request's gate reads it.
    const fixture = readFileSync(join(REPO_ROOT, '__tests__', 'fixtures', 'pull_request.json'), 'utf8');
    const baseSha = (JSON.parse(fixture) as { pull_request: { base: { sha: string } } }).pull_request.base.sha;
    await github.commitFile(
      baseSha,
      'baselines/voice-commands/test-model.json',
      readFileSync(join(mergeWorkspace, 'baselines', 'voice-commands', 'test-model.json'), 'utf8'),
    );

    // Shard jobs never comment, even with comment: always; the merge job does, once.
    expect(first[0]!.result.stdout).toContain(
      'No pull-request comment from a shard job: the merge job (mode merge) writes it for all shards.',
    );
    expect((await github.state()).comments).toHaveLength(1);
    await shardJobs('run-8');
    expect((await github.state()).comments).toHaveLength(1);
    const merge = await mergeJob('run-8', 'merge');
    const { comments } = await github.state();
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('merged from 4 shards');
    expect({ code: merge.result.code, verdict: merge.outputs.verdict, reason: merge.outputs.summary }).toMatchObject({
      code: 0,
      verdict: 'pass',
    });
    const report = readReport(join(mergeWorkspace, 'model-gate-report'));
    expect(report).toMatchObject({
      mode: 'merge',
      shard: { index: null, count: 4 },
      baselines: [{ status: 'compared' }],
    });
    expect(report.targets[0]!.measurement!.metrics.toolAccuracyPct).toEqual({ value: 100, n: 60, count: 60 });
    // Every shard's samples, its cold call included, are in the merged samples.jsonl.
    expect(
      readFileSync(join(mergeWorkspace, 'model-gate-report', 'samples.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(64);
    expect(merge.summary).toContain('merged from 4 shards');
  });

  describe('a merge that cannot be trusted is refused, naming the shard', () => {
    let shardsDir: string;
    beforeAll(async () => {
      shardsDir = mkdtempSync(join(tmpdir(), 'model-gate-shard-reports-'));
      await Promise.all(
        [1, 2, 3].map((index) =>
          runCli([
            'run',
            ...shardFlags(server),
            '--shard',
            `${index}/3`,
            '--report-dir',
            join(shardsDir, `shard-${index}`),
          ]),
        ),
      );
    });
    const merge = async (dir: string, flags: string[] = []) => {
      const reportDir = mkdtempSync(join(tmpdir(), 'model-gate-merge-'));
      const result = await runCli([
        'merge',
        ...shardFlags(server),
        '--shards-dir',
        dir,
        '--report-dir',
        reportDir,
        ...flags,
      ]);
      return {
        code: result.code,
        report: readReport(reportDir),
      };
    };
    const copyOf = (edit: (dir: string) => void) => {
      const dir = mkdtempSync(join(tmpdir(), 'model-gate-shard-reports-'));
      cpSync(shardsDir, dir, { recursive: true });
      edit(dir);
      return dir;
    };

    it('complete: merged', async () => {
      const { code, report } = await merge(shardsDir);
      expect(code).toBe(0);
      expect(report.targets[0]!.measurement!.metrics.toolAccuracyPct.n).toBe(30);
    });

    it('a missing shard', async () => {
      const dir = copyOf((copy) => rmSync(join(copy, 'shard-2'), { recursive: true }));
      const { code, report } = await merge(dir);
      expect(code).toBe(2);
      expect(report.verdictReason).toBe(
        `Shard 2 of 3 is missing under ${dir} (found 1 and 3): its job failed or was cancelled before uploading. Re-run the failed jobs, then the merge.`,
      );
    });

    it('a shard cancelled midway makes the merged run incomplete, naming the shard', async () => {
      // Shard 2 again, against a slow server, cancelled (SIGTERM, as a cancelled job is) after three calls.
      const slow = await startOpenAIServer(suiteProgramme({ latency: { ttftMs: 300 } }, 'voice-commands'));
      const cancelledDir = mkdtempSync(join(tmpdir(), 'model-gate-cancelled-shard-'));
      let pid = 0;
      const running = runCli(['run', ...shardFlags(slow), '--shard', '2/3', '--report-dir', cancelledDir], {
        onStart: (started) => (pid = started),
      });
      await samplesWritten(cancelledDir, 3);
      process.kill(pid, 'SIGTERM');
      expect((await running).code).toBe(130);
      const dir = copyOf((copy) => {
        rmSync(join(copy, 'shard-2'), { recursive: true });
        cpSync(cancelledDir, join(copy, 'shard-2'), { recursive: true });
      });
      const { code, report } = await merge(dir);
      expect(code).toBe(2);
      expect(report).toMatchObject({ status: 'partial', verdict: 'error' });
      expect(report.verdictReason).toMatch(
        /^Shard 2 of 3 \(shard-2\) was cancelled after \d+ of its \d+ calls, so its scenarios are not all measured: re-run that shard's job, then the merge\.$/,
      );
    });

    it('a duplicated shard', async () => {
      const dir = copyOf((copy) => cpSync(join(copy, 'shard-3'), join(copy, 'shard-3-again'), { recursive: true }));
      const { report } = await merge(dir);
      expect(report.verdictReason).toBe(
        'Shard 3 of 3 appears twice (in shard-3-again and shard-3): two jobs ran the same shard. Give each matrix job its own shard input, 1/3 to 3/3.',
      );
    });

    it('a shard of another suite version', async () => {
      const dir = copyOf((copy) => {
        const path = join(copy, 'shard-1', 'report.json');
        writeFileSync(
          path,
          readFileSync(path, 'utf8').replace(
            /"fingerprint": "sha256:[0-9a-f]+"/,
            '"fingerprint": "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"',
          ),
        );
      });
      const { report } = await merge(dir);
      expect(report.verdictReason).toMatch(
        /^Shard 1 of 3 \(shard-1\) ran suite voice-commands with fingerprint 0123456789ab, but this merge has voice-commands with [0-9a-f]{12}: the jobs ran different versions of the suite\. Run the shards and the merge from one commit\.$/,
      );
    });

    it('a merge at another suite size than its shards names the size to give', async () => {
      const { report } = await merge(shardsDir, ['--suite-size', 'standard']);
      expect(report.verdict).toBe('error');
      expect(report.verdictReason).toBe(
        "Shard 1 of 3 (shard-1) ran suite voice-commands at size smoke (30 scenarios), but this merge has size standard (240): give the merge job the shards' suite-size.",
      );
    });

    it('an unsharded baseline is not compared with merged shards', async () => {
      const baselineDir = mkdtempSync(join(tmpdir(), 'model-gate-shard-baselines-'));
      await runCli([
        'baseline',
        '--base-url',
        `${server.url}/v1`,
        '--model',
        'test-model',
        '--suite',
        'voice-commands',
        '--warm-runs',
        '1',
        '--baseline-dir',
        baselineDir,
        '--quiet',
      ]);
      const reportDir = mkdtempSync(join(tmpdir(), 'model-gate-merge-'));
      await runCli([
        'merge',
        '--base-url',
        `${server.url}/v1`,
        '--model',
        'test-model',
        '--suite',
        'voice-commands',
        '--warm-runs',
        '1',
        '--shards-dir',
        shardsDir,
        '--baseline-dir',
        baselineDir,
        '--report-dir',
        reportDir,
      ]);
      const report = readReport(reportDir);
      expect(report.verdict).toBe('incomparable');
      expect(report.verdictReason).toContain('was measured with other settings (shards 1 → 3)');
    });

    it('no shard reports at all', async () => {
      const empty = mkdtempSync(join(tmpdir(), 'model-gate-shard-reports-'));
      const { report } = await merge(empty);
      expect(report.verdictReason).toBe(
        `No shard reports under ${empty}: the shard jobs (shard: 1/n … n/n) must finish first and upload their reports; make the merge job depend on them (needs:) and check that their uploads succeeded.`,
      );
    });
  });
});
