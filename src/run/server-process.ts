// The servers model-gate starts itself (a target's `server.start`), so that a pull request's own
// model, quantization or flags are what gets measured. Each runs in its own process group; its
// output is kept as a tail for the report; it is stopped with `server.stop` or SIGTERM, then
// SIGKILL after the grace period, when the run ends, fails or is cancelled.
import type { ChildProcess } from 'node:child_process';
import type { Target } from '../config/schema.js';
import { displayUrl } from '../lib/url.js';
import { waitUntilReady } from './readiness.js';
import { ended, groupAlive, runShellCommand, signalGroup, spawnInGroup } from './shell.js';

/** Lines of the server's output kept for the report. */
const LOG_TAIL_LINES = 40;
const LOG_TAIL_CHARS = 8000;
/** How long a stop command may run before the process group is signalled anyway. */
const STOP_COMMAND_TIMEOUT_MS = 60_000;

class OutputTail {
  private text = '';

  add(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-4 * LOG_TAIL_CHARS);
  }

  lines(): string {
    return this.text.split('\n').slice(-LOG_TAIL_LINES).join('\n').slice(-LOG_TAIL_CHARS).trim();
  }
}

export class ManagedServer {
  private readonly tail = new OutputTail();
  private exit: string | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    readonly target: Target,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.tail.add(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.tail.add(chunk));
    // Its last lines may still be in the pipes when it exits: `ended` waits for them a little.
    this.exited = ended(child).then((ending) => {
      this.exit ??= ending.startError
        ? `its start command could not run (${ending.startError.message})`
        : `its process exited (${ending.killedBy ? `killed by ${ending.killedBy}` : `exit code ${ending.code}`})`;
    });
  }

  static start(target: Target & { server: NonNullable<Target['server']> }): ManagedServer {
    // detached: its own process group, so that stopping it reaches what the shell started (docker, a wrapper).
    const child = spawnInGroup(target.server.start, ['ignore', 'pipe', 'pipe']);
    const server = new ManagedServer(target, child);
    running.add(server);
    return server;
  }

  /** Why the server cannot answer any more (its process exited), or null while it runs. */
  gone(): string | null {
    return this.exit ? `the server model-gate started for it: ${this.exit}` : null;
  }

  /** The last lines it wrote, stdout and stderr together. */
  logTail(): string {
    return this.tail.lines();
  }

  /** Waits until the endpoint answers, bounded by ready-timeout: loading (503) and refused connections mean wait. */
  async waitReady(
    url: string,
    readyTimeoutMs: number,
    signal: AbortSignal,
    notify: (message: string) => void,
  ): Promise<{ ok: true; waitedMs: number } | { ok: false; diagnosis: string }> {
    const who = `Target "${this.target.name}"`;
    notify(
      `${who}: started its server; waiting up to ${readyTimeoutMs / 1000} s (ready-timeout) for GET ${displayUrl(url)}.`,
    );
    const result = await waitUntilReady(this.target, url, {
      deadline: Date.now() + readyTimeoutMs,
      signal,
      onWaiting: (waitedMs, last) => {
        notify(`${who}: the server is not ready after ${Math.round(waitedMs / 1000)} s (${last}); waiting.`);
      },
      everyMs: 5000,
      gone: () => this.exit,
    });
    if (result.ready) {
      notify(`${who}: its server answers after ${(result.waitedMs / 1000).toFixed(1)} s.`);
      return { ok: true, waitedMs: result.waitedMs };
    }
    if (signal.aborted) return { ok: false, diagnosis: `${who}: the run was cancelled while its server started.` };
    const tail = this.logTail().split('\n').at(-1) ?? '';
    return {
      ok: false,
      diagnosis: this.exit
        ? `${who}: the server's start command ended before the server was ready: ${this.exit}${tail ? `; its last line: ${tail.slice(0, 300)}` : ''}. Its log is in the report; fix server.start in the config file.`
        : `${who}: the server started by server.start did not answer GET ${displayUrl(url)} within ${readyTimeoutMs / 1000} s (ready-timeout; last: ${result.last}). Raise ready-timeout if it loads slowly; its log is in the report.`,
    };
  }

  /** At process exit, when nothing can be awaited. */
  killNow(): void {
    signalGroup(this.child, 'SIGKILL');
  }

  /** server.stop if given, then SIGTERM to the group and SIGKILL after the grace period; resolves once it is gone. */
  async stop(): Promise<void> {
    running.delete(this);
    const { server } = this.target;
    if (server?.stop && this.exit === null) await runShellCommand(server.stop, { timeoutMs: STOP_COMMAND_TIMEOUT_MS });
    if (this.exit === null || groupAlive(this.child)) {
      signalGroup(this.child, 'SIGTERM');
      const grace = server?.stopGraceMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          // A server asked to stop with requests in flight can hang (llama.cpp does): kill it.
          signalGroup(this.child, 'SIGKILL');
          resolve();
        }, grace);
      });
      await Promise.race([this.exited, killed]);
      clearTimeout(timer);
      if (groupAlive(this.child)) signalGroup(this.child, 'SIGKILL');
    }
    await this.exited;
  }
}

const running = new Set<ManagedServer>();

// The last resort, should the run end without stopping them (an uncaught error, process.exit): no
// server started by model-gate outlives it.
process.once('exit', () => {
  for (const server of running) server.killNow();
});

/** The servers a run started, one per target that has server.start; all stopped at the end. */
export class ServerPool {
  private readonly servers = new Map<string, ManagedServer>();

  get(target: Target): ManagedServer | undefined {
    return this.servers.get(target.name);
  }

  start(target: Target & { server: NonNullable<Target['server']> }): ManagedServer {
    const server = ManagedServer.start(target);
    this.servers.set(target.name, server);
    return server;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.servers.values()].map((server) => server.stop()));
  }
}
