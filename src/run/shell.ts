// The shell commands a config gives (server.start, server.stop, cold-start.command). Each runs in a
// process group of its own, so that a deadline or a cancellation stops what the shell started too
// (docker, a wrapper script), and nothing else.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

/** How long the output of an exited command may take to arrive: not for a background child holding the pipes open. */
const OUTPUT_DRAIN_MS = 500;

/** Starts `sh -c command` as the leader of a new process group. */
export const spawnInGroup = (command: string, stdio: StdioOptions): ChildProcess =>
  spawn('sh', ['-c', command], { stdio, detached: true });

/** Signals the process group a detached child leads (what its shell started, too). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

export const groupAlive = (child: ChildProcess) => {
  try {
    if (child.pid === undefined) return false;
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** How a command's shell ended: its exit code or signal, or why it could not start. */
export type Ending = { code: number | null; killedBy: NodeJS.Signals | null; startError: null } | { startError: Error };

/**
 * Resolves once the shell has ended and its output has arrived: after its exit, the pipes are
 * waited for at most OUTPUT_DRAIN_MS, never for a background child that holds them open.
 */
export function ended(child: ChildProcess): Promise<Ending> {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ startError: error }));
    child.once('exit', (code, killedBy) => {
      const done = () => resolve({ code, killedBy, startError: null });
      const drained = setTimeout(done, OUTPUT_DRAIN_MS);
      child.once('close', () => {
        clearTimeout(drained);
        done();
      });
    });
  });
}

export interface CommandOutcome {
  /** The shell's exit code, or null when a signal ended it or it never started. */
  code: number | null;
  killedBy: NodeJS.Signals | null;
  /** It ran past its deadline, and its group was killed. */
  timedOut: boolean;
  /** Why it could not start at all (no shell). */
  startError: Error | null;
  /** The end of what it wrote to stderr. */
  stderr: string;
}

/**
 * Runs a command until its shell exits, at most `timeoutMs`: past that, or when `signal` aborts, its
 * whole group is killed. What it leaves running in the background once its shell has exited (a
 * server it started) is left alone.
 */
export async function runShellCommand(
  command: string,
  options: { timeoutMs: number; signal?: AbortSignal; stderrChars?: number },
): Promise<CommandOutcome> {
  const keep = options.stderrChars ?? 0;
  const child = spawnInGroup(command, ['ignore', 'ignore', keep > 0 ? 'pipe' : 'ignore']);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-keep)));
  let timedOut = false;
  const killGroup = () => signalGroup(child, 'SIGKILL');
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, options.timeoutMs);
  options.signal?.addEventListener('abort', killGroup, { once: true });
  // Once the shell has exited (or failed to start), neither the deadline nor a cancellation reaches its group.
  const stopWatching = () => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', killGroup);
  };
  child.once('exit', stopWatching);
  const ending = await ended(child);
  stopWatching();
  // A background process may still hold the pipe: let go of it, or this process could not exit.
  child.stderr?.destroy();
  child.unref();
  return ending.startError
    ? { code: null, killedBy: null, timedOut, startError: ending.startError, stderr }
    : { code: ending.code, killedBy: ending.killedBy, timedOut, startError: null, stderr };
}
