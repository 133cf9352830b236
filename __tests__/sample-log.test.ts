// samples.jsonl gathers a short window of calls into one write: the lines must still reach the file
// within that window while the run goes on, at close, and when the process dies of an error.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FLUSH_AFTER_MS, openSampleLog } from '../src/run/sample-log.js';
import type { Sample } from '../src/run/sample.js';
import { runProcess } from './helpers/processes.js';
import { REPO_ROOT } from './helpers/servers.js';

const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);
const sample = (run: number) => ({ scenario: 'record-01', run, phase: 'warm' }) as unknown as Sample;

describe('samples.jsonl', () => {
  it('holds each call within the flush window while the run goes on, and everything at close', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'model-gate-samples-')), 'report', 'samples.jsonl');
    const log = openSampleLog(path);
    log.append(sample(1));
    log.append(sample(2));
    const appendedAt = Date.now();
    while (lines(path).length < 2 && Date.now() - appendedAt < 5000)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(lines(path).map((line) => (JSON.parse(line) as { run: number }).run)).toEqual([1, 2]);
    // Timers fire late on a loaded machine, never early: the window is an upper bound plus that lateness.
    expect(Date.now() - appendedAt).toBeLessThan(FLUSH_AFTER_MS + 1000);
    log.append(sample(3));
    log.close();
    expect(lines(path).map((line) => (JSON.parse(line) as { run: number }).run)).toEqual([1, 2, 3]);
    log.append(sample(4));
    expect(lines(path)).toHaveLength(3);
  });

  it('keeps the samples taken when the process dies of an uncaught error before the window ends', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'model-gate-samples-')), 'samples.jsonl');
    const loader = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const logModule = pathToFileURL(join(REPO_ROOT, 'src', 'run', 'sample-log.ts')).href;
    const script = `const { openSampleLog } = await import(${JSON.stringify(logModule)}); const log = openSampleLog(${JSON.stringify(path)}); for (const run of [1, 2, 3]) log.append({ scenario: 'record-01', run }); throw new Error('crash mid-run');`;
    const result = await runProcess(process.execPath, ['--import', loader, '--input-type=module', '-e', script], {
      timeoutMs: 30_000,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('crash mid-run');
    expect(lines(path).map((line) => (JSON.parse(line) as { run: number }).run)).toEqual([1, 2, 3]);
  });
});
