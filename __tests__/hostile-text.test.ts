// Text a server sends back, run through every place model-gate writes it, by the bundled action as
// the runner runs it: the log (where a line starting with "::" or holding "##[" is a workflow
// command), the step summary, summary.md, the pull-request comment, the tracking issue, junit.xml,
// report.json and samples.jsonl. The corpus is __tests__/hostile/server-text.json; every string in
// it carries the word "forged", so whatever survives as markup is found by it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { marked } from 'marked';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { copyAction, runAction } from './helpers/action.js';
import { runCli } from './helpers/processes.js';
import { tempDir } from './helpers/runs.js';
import { REPO_ROOT, startGithubServer, startOpenAIServer, stopAllServers } from './helpers/servers.js';

const HOSTILE = JSON.parse(
  readFileSync(join(REPO_ROOT, '__tests__', 'hostile', 'server-text.json'), 'utf8'),
) as string[];
let actionDir: string;
beforeAll(() => {
  actionDir = copyAction();
});
afterAll(stopAllServers);

/** The runner's view of a log: every line it would take as a command, and what it would do. */
function forgedCommands(log: string): string[] {
  return log.split(/\r?\n/).flatMap((line) => {
    const problems: string[] = [];
    if (line.includes('##[')) problems.push(`legacy command: ${line}`);
    const command = /^\s*::([^:]*)::(.*)$/.exec(line);
    if (command) {
      const [, head = '', data = ''] = command;
      if (head.includes('forged') || head.startsWith('stop-commands') || head.startsWith('set-output'))
        problems.push(`command: ${line}`);
      if (head === 'add-mask' && data.includes('forged')) problems.push(`mask: ${line}`);
    }
    // eslint-disable-next-line no-control-regex -- escape and control characters are what it looks for
    if (/[\u001b\u009b]/.test(line)) problems.push(`escape sequence: ${JSON.stringify(line)}`);
    return problems;
  });
}

/** Markdown as GitHub renders it: nothing from the corpus may become a link, emphasis, image, tag or mention. */
async function renderedMarkup(markdown: string): Promise<string[]> {
  const html = await marked.parse(markdown, { gfm: true });
  const found = [
    ...html.matchAll(
      /<a [^>]*>[^<]*forged[^<]*<\/a>|<(strong|em|del)>[^<]*forged[^<]*<\/\1>|<img|<script|<forged|<!-- model-gate:forged|href="[^"]*evil/g,
    ),
  ].map((match) => match[0]);
  // Autolinks GitHub adds after rendering, outside code: bare URLs, www., e-mail addresses, @mentions, #issues.
  const outsideCode = html.replace(/<code>[^<]*<\/code>/g, ' ');
  for (const text of outsideCode.replace(/<[^>]+>/g, ' ').split(/\s+/))
    if (/^(https?:\/\/|www\.)\S*evil|^@forged|^#1$|^forged@evil\.example/.test(text)) found.push(text);
  return found;
}

describe('server text in every sink', () => {
  it('model ids on a pull request: the log, the step summary, summary.md and the comment', async () => {
    const server = await startOpenAIServer(suiteProgramme({ models: HOSTILE }));
    const github = await startGithubServer({ tokens: { 'ghs_hostile-token': 'write' } });
    const { result, outputs, summary, workspace } = await runAction(
      actionDir,
      {
        'base-url': `${server.url}/v1`,
        model: 'unserved-model',
        comment: 'always',
        'github-token': 'ghs_hostile-token',
      },
      { env: { GITHUB_API_URL: github.url } },
    );
    expect(outputs.verdict).toBe('error');
    // The ids reached the verdict reason, which the log, the summary and the comment all quote.
    expect(result.stdout).toContain('forged-error');
    expect(result.stdout).toContain('forged-legacy');
    expect(forgedCommands(result.stdout + result.stderr)).toEqual([]);
    // Our own failure annotation is still the runner's last word: no ::stop-commands:: swallowed it.
    expect(result.stdout).toMatch(/^::error::Target "unserved-model": the server at \S+ does not serve/m);
    const { comments } = await github.state();
    expect(comments).toHaveLength(1);
    for (const [sink, markdown] of [
      ['step summary', summary],
      ['summary.md', readFileSync(join(workspace, 'model-gate-report', 'summary.md'), 'utf8')],
      ['comment', comments[0]!.body],
    ] as const) {
      expect(markdown).toContain('forged-bold');
      expect({ sink, markup: await renderedMarkup(markdown) }).toEqual({ sink, markup: [] });
    }
    expect(comments[0]!.body.match(/<!-- model-gate:/g)).toHaveLength(1);
    // junit.xml quotes the preflight's diagnosis, ids and all: escaped, with no character XML refuses.
    const junit = readFileSync(join(workspace, 'model-gate-report', 'junit.xml'), 'utf8');
    expect(junit).toContain('forged-error');
    expect(junit).not.toMatch(/<img|<forged|<!-- model-gate:forged/);
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    expect(junit).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u001b]/);
  });

  // The markdown half of the corpus first: the summary shows the start of each error body.
  it('error bodies on a nightly run: the log, the tracking issue, junit.xml, report.json and samples.jsonl', async () => {
    const server = await startOpenAIServer(
      suiteProgramme({
        failures: { errorRate: 0.6, errorStatus: 500, errorMessage: HOSTILE.slice(10).join(' ') },
        seed: 9,
      }),
    );
    const github = await startGithubServer({ tokens: { 'ghs_hostile-token': 'write' } });
    const { result, outputs, workspace } = await runAction(
      actionDir,
      {
        'base-url': `${server.url}/v1`,
        model: 'test-model',
        'warm-runs': '2',
        retries: '0',
        'max-error-rate-pct': '1',
        'github-token': 'ghs_hostile-token',
      },
      {
        env: { GITHUB_API_URL: github.url },
        event: { name: 'schedule', payload: { schedule: '17 3 * * *' } },
      },
    );
    expect(outputs.verdict).toBe('fail');
    expect(forgedCommands(result.stdout + result.stderr)).toEqual([]);
    const { issues } = await github.state();
    expect(issues).toHaveLength(1);
    expect(issues[0]!.body).toContain('forged-bold');
    expect(await renderedMarkup(issues[0]!.body)).toEqual([]);
    const reportDir = join(workspace, 'model-gate-report');
    const junit = readFileSync(join(reportDir, 'junit.xml'), 'utf8');
    // eslint-disable-next-line no-control-regex -- escape and control characters are what it looks for
    expect(junit).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]|<forged/);
    // JSON keeps the text as it came (escaped), and every line of the sample log parses.
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as unknown;
    expect(JSON.stringify(report)).toContain('**forged-bold**');
    for (const line of readFileSync(join(reportDir, 'samples.jsonl'), 'utf8').trim().split('\n'))
      expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('model ids through the CLI: its diagnosis on stderr and its summary on stdout, a log when a workflow runs it', async () => {
    const server = await startOpenAIServer(suiteProgramme({ models: HOSTILE }));
    const result = await runCli([
      'run',
      '--base-url',
      `${server.url}/v1`,
      '--model',
      'unserved-model',
      '--report-dir',
      tempDir(),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('forged-error');
    expect(result.stdout).toContain('forged-bold');
    expect(forgedCommands(result.stdout + result.stderr)).toEqual([]);
    // A terminal is not markdown: URLs copy as they read, without the joiners that stop autolinks.
    expect(result.stdout).not.toContain('\u2060');
    expect(result.stdout).toContain(`the server at ${server.url}/v1 does not serve`);
    // Plain text: none of the escapes and tags that keep markdown from rendering.
    expect(result.stdout).not.toMatch(/\\[[\]*_`|<>]|&lt;|&gt;|&amp;|<\/?details>|<summary>/);
    expect(result.stdout).toContain("<img src=x onerror=alert('forged')>");
  });
});
