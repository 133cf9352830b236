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

interface Limits {
  maxChars: number;
  maxBytes: number;
  /** Said after a cut, where the rest can be read. */
  note: string;
}

/**
 * The summary at the most detail that fits: full, compact, minimal, and last the minimal one cut at
 * a line boundary (never inside a table row) with open <details> closed. Serves the pull-request
 * comment and the step summary, each with its own limits.
 */
export function fittedSummary(report: Report, head: string, tail: string, limits: Limits): string {
  const fits = (body: string) => body.length <= limits.maxChars && Buffer.byteLength(body) <= limits.maxBytes;
  for (const detail of ['full', 'compact', 'minimal'] as Detail[]) {
    const body = `${head}${summaryMarkdown(report, detail)}${tail}`;
    if (fits(body)) return body;
  }
  const budget = limits.maxChars - limits.note.length - tail.length - 200;
  const kept: string[] = [];
  let size = 0;
  for (const line of `${head}${summaryMarkdown(report, 'minimal')}`.split('\n')) {
    if (
      size + line.length + 1 > budget ||
      Buffer.byteLength(kept.join('\n')) + Buffer.byteLength(line) > limits.maxBytes / 2
    )
      break;
    kept.push(line);
    size += line.length + 1;
  }
  const text = kept.join('\n');
  const open = (text.match(/<details>/g) ?? []).length - (text.match(/<\/details>/g) ?? []).length;
  return `${text}${'\n\n</details>'.repeat(Math.max(0, open))}${limits.note}${tail}`;
}

export function commentBody(report: Report, options: { marker: string; runUrl: string | null }): string {
  return fittedSummary(report, `${options.marker}\n`, footer(report, options.runUrl), {
    maxChars: COMMENT_MAX_CHARS,
    maxBytes: COMMENT_MAX_BYTES,
    note: "\n\n… The rest did not fit in a comment: see the job summary and the report in the run's artifacts.\n",
  });
}

/** GitHub drops a step summary over 1 MiB entirely; stay well under it. */
const STEP_SUMMARY_MAX_BYTES = 900 * 1024;

export function stepSummary(report: Report): string {
  return fittedSummary(report, '', '', {
    maxChars: STEP_SUMMARY_MAX_BYTES,
    maxBytes: STEP_SUMMARY_MAX_BYTES,
    note: "\n\n… (summary cut to fit GitHub's step summary limit; the full text is in summary.md in the report folder)\n",
  });
}
