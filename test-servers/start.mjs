// Starts the OpenAI-compatible test server for the scripts and benchmarks (the tests have their
// own helper, which also tracks servers to stop): the programme goes in a file, since a suite's
// answers are too long for a command line, and the server's address comes back once it listens.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SERVER = join(dirname(fileURLToPath(import.meta.url)), 'openai-compatible.mjs');

export async function startTestServer(programme, { ttlSeconds = 600 } = {}) {
  const file = join(mkdtempSync(join(tmpdir(), 'model-gate-programme-')), 'programme.json');
  writeFileSync(file, JSON.stringify(programme));
  const child = spawn(process.execPath, [SERVER, '--programme', file, '--ttl', String(ttlSeconds)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line).url));
    child.once('exit', (code) => reject(new Error(`the test server did not start (exit ${code})`)));
  });
  return {
    url,
    // Closing its stdin stops it (test-servers/lifecycle.mjs); the signal makes sure.
    stop: () => {
      child.stdin.end();
      child.kill('SIGTERM');
    },
  };
}
