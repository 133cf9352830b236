// The hostile-input corpus (__tests__/hostile/): each input is refused or neutralized with one clear
// message naming the file and the problem — never a crash, a hang or a stack trace.
import { afterAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Report } from '../src/report/report.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { runCli } from './helpers/processes.js';
import { REPO_ROOT, startOpenAIServer, stopAllServers } from './helpers/servers.js';
import { readReport } from './helpers/runs.js';

afterAll(stopAllServers);

const corpus = (name: string) => join(REPO_ROOT, '__tests__', 'hostile', name);

async function run(args: string[]): Promise<{ code: number | null; report: Report; output: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'model-gate-hostile-'));
  const started = Date.now();
  const result = await runCli([...args, '--report-dir', join(dir, 'report')], { timeoutMs: 60_000 });
  expect(Date.now() - started).toBeLessThan(30_000);
  const output = result.stdout + result.stderr;
  expect(output).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
  return {
    code: result.code,
    report: readReport(join(dir, 'report')),
    output,
    dir,
  };
}

const ENDPOINT = ['--base-url', 'http://127.0.0.1:9/v1', '--model', 'm'];

describe('hostile configs', () => {
  it.each([
    [
      'config-deep-nesting.yml',
      (path: string) =>
        `Config file ${path} nests brackets 20000 levels deep, more than the 64 any config or suite needs; it cannot be a real one. Check that the path points at the right file.`,
    ],
    [
      'config-anchor-bomb.yml',
      (path: string) =>
        `Config file ${path} could not be read as data: Excessive alias count indicates a resource exhaustion attack. Remove YAML aliases that expand into huge documents.`,
    ],
    [
      'config-wrong-types.yml',
      (path: string) =>
        `Config file ${path}: targets (line 1): expected a list of targets, each with name, base-url and model; settings.warm-runs (line 3): expected a whole number from 1 to 1000; alpha (line 4): expected a number from 0.0001 to 0.2 (the false-alarm rate of a whole run, e.g. 0.01). See "Config file" in docs/usage.md for the allowed fields.`,
    ],
  ])('%s', async (name, expected) => {
    const { code, report } = await run(['run', '--config', corpus(name)]);
    expect(code).toBe(2);
    expect(report).toMatchObject({ verdict: 'error', status: 'failed', error: { kind: 'config' } });
    expect(report.verdictReason).toBe(expected(corpus(name)));
  });

  it('a config over 1 MiB', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'model-gate-hostile-')), 'model-gate.yml');
    writeFileSync(path, `# ${'x'.repeat(1100 * 1024)}\nsuite: safety-checks\n`);
    const { report } = await run(['run', '--config', path]);
    expect(report.verdictReason).toBe(
      `Config file ${path} is larger than 1 MiB; a model-gate config is a few dozen lines. Check that the path points at the right file.`,
    );
  });
});

describe('hostile suites', () => {
  it.each([
    [
      'suite-path-traversal.yml',
      (path: string) =>
        `Suite file ${path}: scenario "a": file "../../../../../../etc/passwd" points outside the suite's folder; give a path relative to the suite file, such as images/login.png.`,
    ],
    [
      'suite-absolute-path.yml',
      (path: string) =>
        `Suite file ${path}: scenario "a": file "/etc/hostname" points outside the suite's folder; give a path relative to the suite file, such as images/login.png.`,
    ],
    [
      'suite-anchor-bomb.yml',
      (path: string) =>
        `Suite file ${path} uses YAML aliases that expand into a huge document (Excessive alias count indicates a resource exhaustion attack); write the repeated parts out, or keep aliases few.`,
    ],
    [
      'suite-deep-schema.yml',
      (path: string) =>
        `Suite file ${path} nests brackets 6001 levels deep, more than the 64 any config or suite needs; it cannot be a real one.`,
    ],
  ])('%s', async (name, expected) => {
    const { code, report } = await run(['run', ...ENDPOINT, '--suite', corpus(name)]);
    expect(code).toBe(2);
    expect(report).toMatchObject({ verdict: 'error', status: 'failed', error: { kind: 'suite' } });
    expect(report.verdictReason).toBe(expected(corpus(name)));
  });

  it('a suite over 10 MB', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'model-gate-hostile-')), 'suite.yml');
    writeFileSync(path, `# ${'x'.repeat(11 * 1024 * 1024)}\n`);
    const { report } = await run(['run', ...ENDPOINT, '--suite', path]);
    expect(report.verdictReason).toBe(
      `Suite file ${path} is larger than 10 MB; a suite's images go in files beside it, not in the YAML. Check that the path points at the right file.`,
    );
  });
});

describe('hostile baselines', () => {
  it.each([
    [
      'baseline-corrupt.json',
      /^Baseline file (\S+) is not valid JSON \(.+\)\. Restore it from git \(git checkout -- \1\) or /,
    ],
    [
      'baseline-newer-schema.json',
      /^Baseline file \S+ has schema version 7, written by a newer model-gate; this one reads version 1\. Update the action \(or CLI\) to the version that wrote it\.$/,
    ],
    [
      'baseline-wrong-shape.json',
      /^Baseline file \S+: settings\.warmRuns is missing; add it, with a number\. The file was edited by hand or damaged: restore it from git or /,
    ],
  ])('%s', async (name, expected) => {
    const server = await startOpenAIServer(suiteProgramme({}));
    const baselines = mkdtempSync(join(tmpdir(), 'model-gate-hostile-baselines-'));
    mkdirSync(join(baselines, 'safety-checks'));
    copyFileSync(corpus(name), join(baselines, 'safety-checks', 'test-model.json'));
    const { code, report } = await run([
      'run',
      '--base-url',
      `${server.url}/v1`,
      '--model',
      'test-model',
      '--baseline-dir',
      baselines,
      '--warm-runs',
      '1',
    ]);
    expect(code).toBe(2);
    expect(report).toMatchObject({ verdict: 'error', error: { kind: 'baseline' } });
    expect(report.verdictReason).toMatch(expected);
    // Found before the server's time was spent: not one chat call was made.
    expect((await server.stats()).chat).toBe(0);
    expect(report.targets).toEqual([]);
    await server.stop();
  });
});

describe('hostile model output', () => {
  it.each(['answer-markdown-injection.txt', 'answer-html-injection.txt'])(
    '%s is inert in the summary and the comment, rendered as GitHub would',
    async (name) => {
      const hostile = readFileSync(corpus(name), 'utf8').trim();
      const server = await startOpenAIServer({ models: ['test-model'], defaultAnswer: hostile });
      const { report, dir } = await run([
        'run',
        '--base-url',
        `${server.url}/v1`,
        '--model',
        'test-model',
        '--warm-runs',
        '1',
      ]);
      expect(report.targets[0]!.notableSamples.length).toBeGreaterThan(0);
      const { marked } = await import('marked');
      for (const file of ['summary.md', 'comment.md']) {
        const markdown = readFileSync(join(dir, 'report', file), 'utf8');
        // The marker that finds our comment again is ours alone, and only at the top.
        expect(markdown.match(/<!-- model-gate:/g)?.length ?? 0).toBe(file === 'comment.md' ? 1 : 0);
        expect(markdown).not.toContain('<!-- model-gate:hijack');
        const html = await marked.parse(markdown, { gfm: true });
        expect(html).not.toMatch(/<img|<script|href="(https:\/\/evil|javascript:)|<h1>Verdict|<details open>/);
        // The hostile text appears only inside <code>, where nothing in it is markup.
        const marker = name.includes('html') ? 'onerror' : 'pwned';
        const occurrences = html.split(marker).length - 1;
        const inCode = [...html.matchAll(/<code>([^<]*)<\/code>/g)].filter(([, text]) => text!.includes(marker)).length;
        expect({ file, occurrences: occurrences > 0, inCode }).toEqual({
          file,
          occurrences: true,
          inCode: occurrences,
        });
      }
    },
  );
});
