// Which baselines a gate run may trust. A pull request's own baselines/ are written by the change
// under test, so on a pull request the gate compares with the baselines of the base commit; the
// pull request's are used only once a reviewer accepts them (a label, by default model-gate:accept).
import { execFile } from 'node:child_process';
import { relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { baselineError } from './errors.js';

/** Larger than any baseline a run writes (ten runs of a full suite are a few MB). */
export const MAX_BASELINE_BYTES = 64 * 1024 * 1024;

/** git and the contents API get this long for one file. */
export const TRUSTED_READ_TIMEOUT_MS = 30_000;

export const acceptanceSchema = z.object({
  label: z.string(),
  /** Who added the label, when it could be found out. */
  by: z.string().nullable(),
});
export type Acceptance = z.infer<typeof acceptanceSchema>;

export interface TrustedBaselines {
  /** The trusted revision in words, e.g. "the base commit 0a1b2c3". */
  source: string;
  /** A baseline file's text at the trusted revision, or undefined where it has none. */
  read(path: string): Promise<string | undefined>;
  /** A reviewer's acceptance of the run's own baselines, or null. */
  acceptance: Acceptance | null;
  /** Whether the acceptance covers this file as it is now (false when it changed after the label). */
  acceptanceCovers(path: string): Promise<boolean>;
  /** What accepts the run's own baselines, after "To accept it, ": "add the label … to the pull request." */
  howToAccept: string;
}

const run = promisify(execFile);

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd,
    timeout: TRUSTED_READ_TIMEOUT_MS,
    maxBuffer: MAX_BASELINE_BYTES,
    encoding: 'utf8',
  });
  return stdout;
}

/** True when git can read `ref` in the repository around `cwd` (a shallow checkout may not have it). */
export async function gitHasCommit(cwd: string, ref: string): Promise<boolean> {
  try {
    await git(cwd, ['cat-file', '-e', `${ref}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** A file's path from the repository's top, or an error naming it when it lies outside. */
export function repositoryPath(top: string, path: string): string {
  const inside = relative(resolve(top), resolve(path)).split('\\').join('/');
  if (inside.startsWith('..') || inside === '')
    throw baselineError(
      `Baseline file ${path} is outside the repository at ${top}, so its trusted version cannot be read. Keep baseline-dir inside the repository.`,
    );
  return inside;
}

/** Baseline files as git has them at `ref`. */
export function gitReader(cwd: string, ref: string): (path: string) => Promise<string | undefined> {
  let top: Promise<string> | undefined;
  return async (path) => {
    top ??= git(cwd, ['rev-parse', '--show-toplevel']).then((text) => text.trim());
    const root = await top;
    const inside = repositoryPath(root, resolve(cwd, path));
    // ls-tree answers "absent" without an error, which tells it apart from a failure.
    const listed = await git(root, ['ls-tree', '--name-only', ref, '--', inside]);
    if (listed.trim() === '') return undefined;
    return git(root, ['show', `${ref}:${inside}`]);
  };
}
