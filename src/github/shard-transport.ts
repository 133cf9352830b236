// How shard reports travel between the jobs of a sharded run: uploaded as workflow artifacts by a
// shard job, downloaded by the merge job. The artifact client (and the Azure storage client under
// it) is loaded only by sharded runs.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ShardSpec } from '../shard/slice.js';
import type { Suite } from '../suite/schema.js';

export interface ShardTransport {
  publishShard: (files: { reportDir: string; names: string[] }, suite: Suite, shard: ShardSpec) => Promise<void>;
  fetchShards: (suite: Suite) => Promise<string>;
}

export function artifactShardTransport(
  env: NodeJS.ProcessEnv,
  commentKey: string,
  info: (line: string) => void,
): ShardTransport {
  return {
    publishShard: async ({ reportDir, names }, suite, shard) => {
      const { artifactServiceAvailable, shardArtifactPrefix, uploadShardReport } = await import('./artifacts.js');
      if (!artifactServiceAvailable(env)) {
        info(`No artifact service here (not a GitHub Actions job): the shard's report stays in ${reportDir}.`);
        return;
      }
      const name = await uploadShardReport(shardArtifactPrefix(commentKey || suite.id), shard, reportDir, names);
      info(`Shard ${shard.index} of ${shard.count}: report uploaded as artifact ${name}, for the merge job.`);
    },
    fetchShards: async (suite) => {
      const { artifactServiceAvailable, downloadShardReports, shardArtifactPrefix } = await import('./artifacts.js');
      const into = join(env.RUNNER_TEMP ?? tmpdir(), 'model-gate-shards');
      if (!artifactServiceAvailable(env)) return into;
      const names = await downloadShardReports(shardArtifactPrefix(commentKey || suite.id), into);
      info(`Downloaded ${names.length} shard report(s): ${names.join(', ') || 'none'}.`);
      return into;
    },
  };
}
