// A target's cold-start command: it runs before the cold call, the server is polled until it
// answers again, and a command or a server that does not come back gives one clear error.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { runCli } from './helpers/processes.js';
import { startOpenAIServer, stopAllServers } from './helpers/servers.js';
import { readReport } from './helpers/runs.js';
import { waitUntilReady } from '../src/run/readiness.js';

afterAll(stopAllServers);

async function runWithColdStart(coldStart: Record<string, unknown>) {
  const server = await startOpenAIServer(suiteProgramme());
  const dir = mkdtempSync(join(tmpdir(), 'model-gate-cold-'));
  const config = join(dir, 'model-gate.yml');
  const command =
    typeof coldStart.command === 'function'
      ? (coldStart.command as (url: string) => string)(server.url)
      : coldStart.command;
  writeFileSync(
    config,
    stringify({
      targets: [
        { name: 'vllm', 'base-url': `${server.url}/v1`, model: 'test-model', 'cold-start': { ...coldStart, command } },
      ],
      settings: { 'warm-runs': 1 },
    }),
  );
  const result = await runCli(['run', '--config', config, '--report-dir', join(dir, 'report')], { timeoutMs: 30_000 });
  const report = readReport(join(dir, 'report'));
  return { server, result, report, summary: readFileSync(join(dir, 'report', 'summary.md'), 'utf8') };
}

// The command a user would write to restart their server, here asking the test server to act as
// one that restarts: every call answers 503 for 800 ms.
const restart = (downMs: number) => (url: string) =>
  `node -e "fetch('${url}/__control/restart?downMs=${downMs}', { method: 'POST' }).then((r) => process.exit(r.ok ? 0 : 1))"`;

describe('cold-start command', () => {
  it('runs the command, waits until the server answers again, then times the cold call', async () => {
    const { result, report, server, summary } = await runWithColdStart({ command: restart(800), 'ready-timeout': 20 });
    expect(result.code).toBe(0);
    const stats = await server.stats();
    expect(stats.restarts).toBe(1);
    // Polled while it was down, and no chat before the restart: every chat came after it.
    expect(stats.notReadyAnswers).toBeGreaterThan(0);
    expect(stats.chatsSinceRestart).toBe(stats.chat);
    const coldStart = report.targets[0]!.coldStart!;
    expect(coldStart.method).toBe('reset-command');
    // The wait is counted from the command's exit, which a loaded machine may see well after the
    // restart began: how long it was is not fixed, only that it was waited for (above) and named.
    expect(coldStart.detail).toMatch(
      /^the cold-start command ran and GET http:\/\/127\.0\.0\.1:\d+\/v1\/models answered after \d+\.\d s$/,
    );
    expect(summary).toContain('Cold start: measured after the cold-start command');
  });

  it('names the exit code and the last line the command printed when it fails', async () => {
    const { result, report } = await runWithColdStart({ command: 'echo "Error: No such container: vllm" >&2; exit 3' });
    expect(result.code).not.toBe(0);
    expect(report.targets[0]!.preflight.diagnosis).toBe(
      'Target "vllm": the cold-start command failed (exit code 3): Error: No such container: vllm. Fix cold-start.command in the config file.',
    );
    expect(report.targets[0]!.completedCalls).toBe(0);
  });

  it('gives up on a server that does not come back within ready-timeout', async () => {
    const { result, report } = await runWithColdStart({ command: restart(60_000), 'ready-timeout': 1 });
    expect(result.code).not.toBe(0);
    expect(report.targets[0]!.preflight.diagnosis).toMatch(
      /^Target "vllm": after the cold-start command, GET http:\/\/127\.0\.0\.1:\d+\/v1\/models did not answer 200 within 1 s \(last: HTTP 503\)\. Raise cold-start\.ready-timeout if the server loads slowly, or set cold-start\.ready-url to its health check\.$/,
    );
  });

  it('probes the server once more when the command spent the whole wait, and names what it answered', async () => {
    // On a loaded machine the restart command alone can take the second that ready-timeout 1 allows.
    const server = await startOpenAIServer(suiteProgramme());
    await fetch(`${server.url}/__control/restart?downMs=60000`, { method: 'POST' });
    const waited = await waitUntilReady({ baseUrl: `${server.url}/v1`, apiKey: '' }, `${server.url}/v1/models`, {
      deadline: Date.now() - 1,
      signal: new AbortController().signal,
    });
    expect(waited).toMatchObject({ ready: false, last: 'HTTP 503' });
  });

  it('stops a command that hangs at ready-timeout', async () => {
    const started = Date.now();
    const { report } = await runWithColdStart({ command: 'sleep 30', 'ready-timeout': 1 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(report.targets[0]!.preflight.diagnosis).toBe(
      'Target "vllm": the cold-start command did not finish within 1 s (cold-start.ready-timeout); it was stopped. Make it return once the restart is under way, or raise ready-timeout.',
    );
  });

  it('returns when the command does, leaving what it started in the background running', async () => {
    // A command that starts the server itself, in the background: the background process keeps
    // the command's stderr open, and the run must neither wait for it nor kill it.
    const pidFile = join(mkdtempSync(join(tmpdir(), 'model-gate-cold-')), 'background.pid');
    // Waiting for the background process would end at ready-timeout with a diagnosis, checked below.
    const { result, report } = await runWithColdStart({
      command: `sleep 120 & echo $! > ${pidFile}`,
      'ready-timeout': 20,
    });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      expect({ code: result.code, diagnosis: report.targets[0]!.preflight.diagnosis }).toEqual({
        code: 0,
        diagnosis: null,
      });
      expect(report.targets[0]!.coldStart?.method).toBe('reset-command');
      expect(() => process.kill(pid, 0)).not.toThrow();
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone: the assertion above says so.
      }
    }
  });

  it('without a command the report says the cold figure is a first call', async () => {
    const server = await startOpenAIServer(suiteProgramme());
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-cold-'));
    await runCli([
      'run',
      '--base-url',
      `${server.url}/v1`,
      '--model',
      'test-model',
      '--warm-runs',
      '1',
      '--report-dir',
      dir,
    ]);
    const report = readReport(dir);
    expect(report.targets[0]!.coldStart?.method).toBe('first-call');
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain(
      'Cold start: a first-call figure (no cold-start command: the cold figure is the first call of this run, on a server that may already hold the model).',
    );
  });
});
