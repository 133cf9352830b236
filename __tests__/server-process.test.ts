// The servers model-gate starts (server.start) are stopped whatever they do: SIGTERM, then SIGKILL
// once the grace period is over, for the whole process group the command started.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Target } from '../src/config/schema.js';
import { ManagedServer } from '../src/run/server-process.js';
import { tempDir } from './helpers/runs.js';

const target = (start: string, stopGraceMs: number): Target & { server: NonNullable<Target['server']> } => ({
  name: 'managed',
  kind: 'openai',
  baseUrl: 'http://127.0.0.1:9/v1',
  model: 'm',
  jsonMode: 'json_object',
  toolMode: 'native',
  server: { start, stop: null, stopGraceMs },
});

/** Running: it exists and is not a zombie left for an init that may reap it late. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** Resolves once the file holds a pid: the command has started what it starts. */
async function pidIn(file: string): Promise<number> {
  for (;;) {
    try {
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid > 0) return pid;
    } catch {
      // Not written yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a server model-gate started', () => {
  it('that ignores SIGTERM, as llama-server with requests in flight does, is killed after the grace period', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'pid');
    // A child that ignores SIGTERM, behind a shell: both are in the group that gets the signals.
    const server = ManagedServer.start(target(`trap '' TERM; sh -c 'echo $$ > ${pidFile}; exec sleep 600'`, 300));
    const pid = await pidIn(pidFile);
    const started = performance.now();
    await server.stop();
    const tookMs = performance.now() - started;
    expect(alive(pid)).toBe(false);
    // Not before the grace period, and not much after it, even on a loaded machine.
    expect(tookMs).toBeGreaterThanOrEqual(250);
    expect(tookMs).toBeLessThan(10_000);
  });

  it('that exits by itself is reported gone, with the last lines it wrote', async () => {
    const server = ManagedServer.start(
      target(`echo "loading model.gguf"; echo "error: no such file" >&2; exit 3`, 300),
    );
    for (let waited = 0; server.gone() === null && waited < 10_000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.gone()).toBe('the server model-gate started for it: its process exited (exit code 3)');
    // stdout and stderr together; two pipes, so their order is the order they arrived in.
    expect(server.logTail().split('\n').sort()).toEqual(['error: no such file', 'loading model.gguf']);
    await server.stop();
  });
});
