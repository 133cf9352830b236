// A real llama.cpp llama-server on loopback, with the tiny models shipped beside it: started on a
// port the kernel picks (or a given one, to restart on the same address), stopped with SIGTERM
// then SIGKILL, and never left running after the tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './servers.js';

/** The binary: MODEL_GATE_LLAMA_SERVER, else the llama-server beside this repository's checkout. */
export const LLAMA_SERVER =
  process.env.MODEL_GATE_LLAMA_SERVER ?? join(REPO_ROOT, '..', 'shared', 'llama-server', 'llama-server');
export const LLAMA_DIR = dirname(LLAMA_SERVER);
export const llamaServerAvailable = existsSync(LLAMA_SERVER);
export const ALIAS = 'stories260k';

export const MODELS = {
  clean: 'stories260K-llama2tmpl.gguf',
  degraded: 'stories260K-noise0.6.gguf',
  projector: 'tiny-mmproj.gguf',
} as const;

export interface LlamaServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** Its stderr so far. */
  log(): string;
  /** SIGTERM, then SIGKILL after graceMs (a server stopped with requests in flight hangs). */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<LlamaServer>();

/** The command line a test starts (and a config's server.start runs), from the models' folder. */
export function llamaArgs(
  options: { model?: string; port?: number; apiKey?: string; extra?: string[] } = {},
): string[] {
  return [
    '-m',
    join(LLAMA_DIR, options.model ?? MODELS.clean),
    '--host',
    '127.0.0.1',
    '--port',
    String(options.port ?? 0),
    '--alias',
    ALIAS,
    '-t',
    '1',
    '--no-ui',
    ...(options.extra ?? ['-c', '4096', '--parallel', '2']),
    ...(options.apiKey ? ['--api-key', options.apiKey] : []),
  ];
}

/** Starts it and resolves once it logs that it listens (after loading its model). */
export function startLlamaServer(
  options: { model?: string; port?: number; apiKey?: string; extra?: string[] } = {},
): Promise<LlamaServer> {
  const child = spawn(LLAMA_SERVER, llamaArgs(options), { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let started = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`llama-server did not listen within 30 s:\n${log.slice(-2000)}`));
    }, 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`llama-server exited (${code}) before listening:\n${log.slice(-2000)}`));
    });
    child.stderr.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-200_000);
      const listening = started ? null : /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (!listening) return;
      started = true;
      clearTimeout(timer);
      const port = Number(listening[1]);
      const server: LlamaServer = {
        url: `http://127.0.0.1:${port}`,
        port,
        child,
        log: () => log,
        async stop(graceMs = 3000) {
          running.delete(server);
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        },
      };
      running.add(server);
      resolve(server);
    });
  });
}

export async function stopAllLlamaServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}
