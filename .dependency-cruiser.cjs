// The direction of imports between the stages, as docs/ARCHITECTURE.md's "knows nothing of" column
// says it. `npm run lint:deps` checks it (.ci/run runs it).
const stage = (name) => `^src/${name}/`;
const never = (from, to, comment) => ({
  name: `${from}-knows-nothing-of-${to.join('-')}`,
  comment,
  severity: 'error',
  from: { path: stage(from) },
  to: { path: `^src/(${to.join('|')})/` },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Stages form one direction; a cycle means two of them share a concept that has no home.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'catalog-is-a-leaf',
      comment: 'The metric catalog imports nothing, so that every stage may read it.',
      severity: 'error',
      from: { path: '^src/metric-catalog\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'suite-sizes-is-a-leaf',
      comment: 'The size vocabulary is read by the config and the suite loader alike: it imports nothing of theirs.',
      severity: 'error',
      from: { path: '^src/suite-sizes\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'lib-is-below-the-stages',
      comment: 'lib/ holds helpers shared by the stages; it knows none of them.',
      severity: 'error',
      from: { path: stage('lib') },
      to: { path: '^src/', pathNot: ['^src/lib/'] },
    },
    {
      name: 'only-shells-reach-the-conductor',
      comment: 'Only the shells (main.ts, cli.ts) call the pipeline; stages never reach back up.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(main|cli|index)\\.ts$'] },
      to: { path: '^src/(pipeline|main|cli|index)\\.ts$' },
    },
    never(
      'config',
      ['endpoint', 'run', 'score', 'measure', 'gate', 'report', 'github', 'compare', 'render', 'suite'],
      'config knows nothing of HTTP, GitHub or the later stages.',
    ),
    never(
      'suite',
      ['endpoint', 'run', 'score', 'measure', 'gate', 'report', 'github', 'compare', 'shard', 'config'],
      'suite knows nothing of endpoints.',
    ),
    never(
      'render',
      ['suite', 'report', 'endpoint', 'run', 'gate', 'github', 'config'],
      'render draws text; it knows nothing of suites or reports.',
    ),
    never(
      'endpoint',
      ['score', 'run', 'measure', 'gate', 'report', 'github', 'compare', 'shard'],
      'endpoint knows nothing of scoring.',
    ),
    never(
      'score',
      ['endpoint', 'run', 'measure', 'gate', 'report', 'github', 'compare', 'config'],
      'score knows nothing of HTTP.',
    ),
    never('run', ['measure', 'gate', 'report', 'github', 'compare', 'shard'], 'run knows nothing of metrics.'),
    never(
      'measure',
      ['endpoint', 'gate', 'report', 'github', 'compare', 'shard', 'config'],
      'measure knows nothing of baselines.',
    ),
    never('compare', ['gate', 'report', 'github', 'shard'], 'compare knows nothing of baselines.'),
    never('gate', ['report', 'github', 'render', 'compare', 'endpoint'], 'gate knows nothing of rendering.'),
    never('report', ['github'], 'report knows nothing of the GitHub API.'),
    never(
      'github',
      ['measure', 'gate', 'run', 'endpoint', 'score', 'compare', 'report'],
      'github knows nothing of metrics maths.',
    ),
    never('shard', ['endpoint', 'github', 'score'], 'shard knows nothing of HTTP.'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
