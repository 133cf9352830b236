// The pull-request comment body: the summary with a hidden marker and links, made to fit GitHub's
// 65,536-character limit by degrading in stages — fewer details, then only the rows that matter,
// then a cut at a line boundary (never inside a table row) with open <details> closed.
import { summaryMarkdown, type Detail } from './markdown.js';
import type { Report } from './report.js';

/** The hidden marker that finds a run's earlier pull-request comment again. */
export const commentMarkerFor = (key: string) => `<!-- model-gate:${key.replace(/-->/g, '')} -->`;

/** GitHub refuses comment bodies over 65,536 characters; keep clear of it. */
export const COMMENT_MAX_CHARS = 60_000;
const COMMENT_MAX_BYTES = 262_144;

function footer(report: Report, runUrl: string | null): string {
  const fingerprint = report.suite
    ? `suite ${report.suite.id} v${report.suite.version}, fingerprint \`${report.suite.fingerprint.slice(7, 19)}\``
    : 'no suite loaded';
  const run = runUrl
    ? ` · [workflow run](${runUrl}) — report.json, summary.md and samples.jsonl are in its artifacts`
    : '';
  return `\n<sub>model-gate ${report.tool.version} · ${fingerprint}${run}</sub>\n`;
}

const fits = (body: string) => body.length <= COMMENT_MAX_CHARS && Buffer.byteLength(body) <= COMMENT_MAX_BYTES;

export function commentBody(report: Report, options: { marker: string; runUrl: string | null }): string {
  const tail = footer(report, options.runUrl);
  for (const detail of ['full', 'compact', 'minimal'] as Detail[]) {
    const body = `${options.marker}\n${summaryMarkdown(report, detail)}${tail}`;
    if (fits(body)) return body;
  }
  const note = "\n\n… The rest did not fit in a comment: see the job summary and the report in the run's artifacts.\n";
  const budget = COMMENT_MAX_CHARS - note.length - tail.length - 200;
  const kept: string[] = [];
  let size = 0;
  for (const line of `${options.marker}\n${summaryMarkdown(report, 'minimal')}`.split('\n')) {
    if (
      size + line.length + 1 > budget ||
      Buffer.byteLength(kept.join('\n')) + Buffer.byteLength(line) > COMMENT_MAX_BYTES / 2
    )
      break;
    kept.push(line);
    size += line.length + 1;
  }
  const text = kept.join('\n');
  const open = (text.match(/<details>/g) ?? []).length - (text.match(/<\/details>/g) ?? []).length;
  return `${text}${'\n\n</details>'.repeat(Math.max(0, open))}${note}${tail}`;
}
