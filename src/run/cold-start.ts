// Getting the server cold before the cold call. A target's cold-start command (restart a service
// or container, vLLM's sleep/wake) runs in a shell, then the server is polled until it answers;
// the Ollama kind unloads its models itself; otherwise the cold figure is only a first call's.
import type { Target } from '../config/schema.js';
import { shortMessage } from '../endpoint/diagnose.js';
import type { ColdStartNote, Endpoint } from '../endpoint/types.js';
import { displayUrl } from '../lib/url.js';
import { waitUntilReady } from './readiness.js';
import { runShellCommand } from './shell.js';

const STDERR_TAIL_CHARS = 300;

async function runCommand(target: Target, command: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const who = `Target "${target.name}"`;
  const outcome = await runShellCommand(command, { timeoutMs, signal, stderrChars: 4 * STDERR_TAIL_CHARS });
  if (outcome.startError)
    throw new Error(`${who}: the cold-start command could not start: ${shortMessage(outcome.startError)}.`);
  if (outcome.timedOut)
    throw new Error(
      `${who}: the cold-start command did not finish within ${timeoutMs / 1000} s (cold-start.ready-timeout); it was stopped. Make it return once the restart is under way, or raise ready-timeout.`,
    );
  if (outcome.code === 0) return;
  // The key never goes into a message, even if the command echoed it.
  const tail =
    (target.apiKey ? outcome.stderr.split(target.apiKey).join('***') : outcome.stderr)
      .trim()
      .split('\n')
      .slice(-1)[0]
      ?.slice(-STDERR_TAIL_CHARS) ?? '';
  throw new Error(
    `${who}: the cold-start command failed (${outcome.killedBy ? `killed by ${outcome.killedBy}` : `exit code ${outcome.code}`})${tail ? `: ${tail}` : ''}. Fix cold-start.command in the config file.`,
  );
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
