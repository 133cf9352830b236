// A run of the CLI against the test server and what it left on disk, read through the project's
// own schemas; and waiting for a run to reach a point, on the files it writes rather than on time.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportSchema, type Report } from '../../src/report/report.js';
import { sampleSchema, type Sample } from '../../src/run/sample.js';
import { suiteProgramme } from '../../test-servers/programmes.mjs';
import { runCli, type ProcessResult } from './processes.js';
import { startOpenAIServer, type TestServer } from './servers.js';

export const tempDir = (prefix = 'model-gate-test-') => mkdtempSync(join(tmpdir(), prefix));

export const readReport = (dir: string): Report =>
  reportSchema.parse(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')));

export const readSamples = (dir: string): Sample[] =>
  readFileSync(join(dir, 'samples.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => sampleSchema.parse(JSON.parse(line)));

export function readRun(dir: string): { report: Report; samples: Sample[]; summary: string } {
  return { report: readReport(dir), samples: readSamples(dir), summary: readFileSync(join(dir, 'summary.md'), 'utf8') };
}

export interface CliRun {
  server: TestServer;
  dir: string;
  result: ProcessResult;
  report: Report;
  samples: Sample[];
  summary: string;
  /** Wall time of the CLI run, for bounds on how long a failure takes to be given up on. */
  seconds: number;
}

/** `model-gate run` of the safety-checks suite against a test server playing `programme`. */
export async function runCliAgainst(
  programme: Record<string, unknown>,
  flags: string[] = [],
  options: {
    env?: NodeJS.ProcessEnv;
    onStart?: (pid: number) => void;
    dir?: string;
    /** Called once the server listens, before the CLI starts (to put the server in a state). */
    onServer?: (server: TestServer) => Promise<unknown>;
  } = {},
): Promise<CliRun> {
  const server = await startOpenAIServer(suiteProgramme(programme));
  await options.onServer?.(server);
  const dir = options.dir ?? tempDir();
  const started = Date.now();
  const result = await runCli(
    ['run', '--base-url', `${server.url}/v1`, '--model', 'test-model', '--report-dir', dir, ...flags],
    {
      timeoutMs: 120_000,
      ...(options.env ? { env: options.env } : {}),
      ...(options.onStart ? { onStart: options.onStart } : {}),
    },
  );
  return { server, dir, result, ...readRun(dir), seconds: (Date.now() - started) / 1000 };
}

/** Resolves once `count` samples are in the folder's samples.jsonl: the run is that far, however slow the machine. */
export async function samplesWritten(dir: string, count: number, timeoutMs = 60_000): Promise<void> {
  const file = join(dir, 'samples.jsonl');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
    if (lines >= count) return;
    if (Date.now() > deadline)
      throw new Error(`${file} held ${lines} samples after ${timeoutMs / 1000} s, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
