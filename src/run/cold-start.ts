// Getting the server cold before the cold call. A target's cold-start command (restart a service
// or container, vLLM's sleep/wake) runs in a shell, then the server is polled until it answers;
// the Ollama kind unloads its models itself; otherwise the cold figure is only a first call's.
import { spawn } from 'node:child_process';
import type { Target } from '../config/schema.js';
import { shortMessage } from '../endpoint/diagnose.js';
import type { ColdStartNote, Endpoint } from '../endpoint/types.js';
import { displayUrl } from '../lib/url.js';
import { waitUntilReady } from './readiness.js';
import { signalGroup } from './server-process.js';

const STDERR_TAIL_CHARS = 300;

function runCommand(target: Target, command: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const who = `Target "${target.name}"`;
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4 * STDERR_TAIL_CHARS)));
    const killGroup = () => {
      signalGroup(child, 'SIGKILL');
    };
    const timer = setTimeout(() => {
      killGroup();
      reject(
        new Error(
          `${who}: the cold-start command did not finish within ${timeoutMs / 1000} s (cold-start.ready-timeout); it was stopped. Make it return once the restart is under way, or raise ready-timeout.`,
        ),
      );
    }, timeoutMs);
    const onAbort = () => killGroup();
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${who}: the cold-start command could not start: ${shortMessage(error)}.`));
    });
    child.on('close', (code, killedBy) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (code === 0) {
        resolve();
        return;
      }
      // The key never goes into a message, even if the command echoed it.
      const tail =
        (target.apiKey ? stderr.split(target.apiKey).join('***') : stderr)
          .trim()
          .split('\n')
          .slice(-1)[0]
          ?.slice(-STDERR_TAIL_CHARS) ?? '';
      reject(
        new Error(
          `${who}: the cold-start command failed (${killedBy ? `killed by ${killedBy}` : `exit code ${code}`})${tail ? `: ${tail}` : ''}. Fix cold-start.command in the config file.`,
        ),
      );
    });
  });
}

export async function makeServerCold(target: Target, endpoint: Endpoint, signal: AbortSignal): Promise<ColdStartNote> {
  if (target.coldStart) {
    const { command, readyUrl, readyTimeoutMs } = target.coldStart;
    const deadline = Date.now() + readyTimeoutMs;
    await runCommand(target, command, readyTimeoutMs, signal);
    const url = readyUrl ?? endpoint.readinessUrl;
    const waited = await waitUntilReady(target, url, { deadline, signal });
    if (!waited.ready)
      throw new Error(
        `Target "${target.name}": after the cold-start command, GET ${displayUrl(url)} did not answer 200 within ${readyTimeoutMs / 1000} s (last: ${waited.last}). Raise cold-start.ready-timeout if the server loads slowly, or set cold-start.ready-url to its health check.`,
      );
    const { waitedMs } = waited;
    return {
      method: 'reset-command',
      detail: `the cold-start command ran and GET ${displayUrl(url)} answered after ${(waitedMs / 1000).toFixed(1)} s`,
    };
  }
  if (endpoint.makeCold) return endpoint.makeCold(signal);
  return {
    method: 'first-call',
    detail:
      'no cold-start command: the cold figure is the first call of this run, on a server that may already hold the model',
  };
}
