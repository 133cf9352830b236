// Shard reports travel between jobs as workflow artifacts (@actions/artifact): each shard job
// uploads its report folder, the merge job downloads every shard's into one folder to merge.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import type { ShardSpec } from '../shard/slice.js';

/** Artifact names: one prefix per gate step, so two sharded steps in one workflow keep apart. */
export const shardArtifactPrefix = (key: string) =>
  `model-gate-${
    key
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'suite'
  }-shard-`;

/** The runner gives jobs an artifact service (ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL); elsewhere there is none. */
export const artifactServiceAvailable = (env: NodeJS.ProcessEnv) =>
  Boolean(env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL);

export async function uploadShardReport(
  prefix: string,
  shard: ShardSpec,
  reportDir: string,
  names: readonly string[],
): Promise<string> {
  const name = `${prefix}${shard.index}-of-${shard.count}`;
  await new DefaultArtifactClient().uploadArtifact(
    name,
    names.map((file) => join(reportDir, file)),
    reportDir,
    { retentionDays: 1 },
  );
  return name;
}

/** Downloads every shard artifact of this run with the prefix, each into its own folder under `into`. */
export async function downloadShardReports(prefix: string, into: string): Promise<string[]> {
  const client = new DefaultArtifactClient();
  const { artifacts } = await client.listArtifacts({ latest: true });
  const shards = artifacts.filter((artifact) => artifact.name.startsWith(prefix));
  for (const artifact of shards) {
    const path = join(into, artifact.name);
    mkdirSync(path, { recursive: true });
    await client.downloadArtifact(artifact.id, { path });
  }
  return shards.map((artifact) => artifact.name);
}
