// Starts the test servers as real child processes on 127.0.0.1 and stops them; each server also
// stops by itself (TTL, or when this process closes its stdin).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerStats {
  requests: number;
  models: number;
  chat: number;
  chatCompleted: number;
  unauthorized: number;
  restarts: number;
  chatsSinceRestart: number;
  notReadyAnswers: number;
  notReadyByPath: Record<string, number>;
  /** How many chat requests were in flight as each one arrived, in arrival order. */
  inFlightAtArrival: number[];
  /** POST /embeddings requests answered. */
  embeddings?: number;
  lastChat: null | {
    model: string;
    stream: boolean;
    streamOptions: { include_usage?: boolean } | null;
    responseFormat: { type: string } | null;
    temperature: number | null;
    maxTokens: number | null;
    imageSha256: string | null;
    promptStart: string | null;
    /** The system message, when one was sent. */
    system: string | null;
    /** Names of the tools offered (OpenAI tools), or null when none were. */
    tools: string[] | null;
    requestId: string | null;
  };
}

export interface TestServer {
  url: string;
  stats(): Promise<ServerStats>;
  setProgramme(programme: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Starts one of test-servers/*.mjs with a programme and waits for the address it prints. */
async function spawnServer(
  script: string,
  programme: Record<string, unknown>,
  ttlSeconds: number,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'test-servers', script), '--programme-json', JSON.stringify(programme), '--ttl', String(ttlSeconds)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  running.add(child);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within 10 s`)), 10_000);
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited early (${code})`)));
  });
  return { child, url };
}

export async function startOpenAIServer(programme: Record<string, unknown>, ttlSeconds = 120): Promise<TestServer> {
  const { child, url } = await spawnServer('openai-compatible.mjs', programme, ttlSeconds);
  return {
    url,
    async stats() {
      return (await (await fetch(`${url}/__control/stats`)).json()) as ServerStats;
    },
    async setProgramme(next) {
      await fetch(`${url}/__control/programme`, { method: 'POST', body: JSON.stringify(next) });
    },
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.stdin?.end();
    child.kill('SIGTERM');
  });
}

export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map(stopChild));
}

/** A loopback port with nothing listening: bind one, then close it. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const REPO_ROOT = ROOT;

export interface OllamaEvent {
  type: 'unload' | 'chat';
  model: string;
  wasLoaded?: boolean;
  format?: unknown;
  keepAlive?: unknown;
  options?: Record<string, unknown> | null;
  imageSha256?: string | null;
  /** Names of the tools offered, or null. */
  tools?: string[] | null;
  system?: string | null;
  at: number;
}

export interface OllamaServer {
  url: string;
  stats(): Promise<{ events: OllamaEvent[]; loaded: string[] }>;
  stop(): Promise<void>;
}

/** The Ollama native API test server, as a real process on 127.0.0.1. */
export async function startOllamaServer(
  programme: Record<string, unknown> = {},
  ttlSeconds = 120,
): Promise<OllamaServer> {
  const { child, url } = await spawnServer('ollama.mjs', programme, ttlSeconds);
  return {
    url,
    stats: async () =>
      (await (await fetch(`${url}/__control/stats`)).json()) as Awaited<ReturnType<OllamaServer['stats']>>,
    stop: () => stopChild(child),
  };
}

export interface GithubServer {
  url: string;
  state(): Promise<{
    comments: { id: number; issue: number; body: string; user: { login: string; type: string } }[];
    issues: { number: number; title: string; body: string; state: string; labels: string[] }[];
    requests: { method: string; path: string; access: string | null }[];
  }>;
  /** Puts a file into a commit, as a merge into the base branch would. */
  commitFile(ref: string, path: string, text: string): Promise<void>;
  stop(): Promise<void>;
}

/** The GitHub REST API test server (issue comments), as a real process on 127.0.0.1. */
export async function startGithubServer(
  programme: Record<string, unknown> = {},
  ttlSeconds = 120,
): Promise<GithubServer> {
  const { child, url } = await spawnServer('github-api.mjs', programme, ttlSeconds);
  return {
    url,
    state: async () =>
      (await (await fetch(`${url}/__control/state`)).json()) as Awaited<ReturnType<GithubServer['state']>>,
    commitFile: async (ref, path, text) => {
      await fetch(`${url}/__control/contents`, { method: 'POST', body: JSON.stringify({ ref, path, text }) });
    },
    stop: () => stopChild(child),
  };
}

export interface ArtifactServer {
  url: string;
  state(): Promise<{ artifacts: { id: number; name: string; run: string; job: string; size: number }[] }>;
  /** The environment a job of `run` gets from the runner to reach the artifact service. */
  jobEnv(run: string, job: string): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** GitHub Actions' artifact service (Twirp results API and blob storage), as a real process on 127.0.0.1. */
export async function startArtifactServer(ttlSeconds = 120): Promise<ArtifactServer> {
  const { child, url } = await spawnServer('github-artifacts.mjs', {}, ttlSeconds);
  const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return {
    url,
    state: async () =>
      (await (await fetch(`${url}/__control/state`)).json()) as Awaited<ReturnType<ArtifactServer['state']>>,
    // The runtime token is a JWT whose scp claim names the run and the job; the client only decodes it.
    jobEnv: (run, job) => ({
      ACTIONS_RUNTIME_TOKEN: `${base64url({ alg: 'none' })}.${base64url({ scp: `Actions.GenericRead Actions.Results:${run}:${job}` })}.signature`,
      ACTIONS_RESULTS_URL: `${url}/`,
    }),
    stop: () => stopChild(child),
  };
}
