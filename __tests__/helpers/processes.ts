// Runs the CLI (built from the sources at the start of the test run) or the bundled action as a
// child process and collects what it printed, bounded in time.
import { spawn, type SpawnOptions } from 'node:child_process';
import { CLI_BUILD } from './cli-build.js';
import { REPO_ROOT } from './servers.js';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runProcess(
  command: string,
  args: string[],
  options: SpawnOptions & {
    timeoutMs?: number;
    onStart?: (pid: number) => void;
    /** Close our end of stdout at once, as a reader that stops early does (`| head -1`). */
    closeStdout?: boolean;
    /** Called with all of stderr so far, each time more arrives (to wait on what the process says). */
    onStderr?: (stderr: string) => void;
  } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    if (options.closeStdout) child.stdout.destroy();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    if (child.pid) options.onStart?.(child.pid);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The CLI as src/ has it now: built from the sources when the test run starts (see cli-build.ts). */
export function runCli(
  args: string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    onStart?: (pid: number) => void;
    closeStdout?: boolean;
    onStderr?: (stderr: string) => void;
  } = {},
): Promise<ProcessResult> {
  // The test servers script the hand-written scenarios: runs use the smoke size unless a test names one.
  const sized =
    ['run', 'baseline', 'merge', 'merge-baseline'].includes(args[0] ?? '') && !args.includes('--suite-size')
      ? [...args, '--suite-size', 'smoke']
      : args;
  return runProcess(process.execPath, [CLI_BUILD, ...sized], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    timeoutMs: options.timeoutMs,
    onStart: options.onStart,
    closeStdout: options.closeStdout,
    onStderr: options.onStderr,
  });
}
