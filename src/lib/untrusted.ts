// Text from outside — a server's error bodies and model ids, a model's answers, a config's names —
// made inert for each place it is written, at the point it is written:
// - a log line (the runner's log, a terminal): no workflow command, no escape sequence, one line;
// - markdown (summary, comment, issue): a code span, or our sentence with nothing that renders;
// - XML (junit.xml): only characters XML 1.0 allows (the builder escapes the rest).
// JSON needs nothing here: JSON.stringify escapes every character that could end a string.
import stripAnsi from 'strip-ansi';

// Control, bidi and zero-width characters: what this pattern is for.
// eslint-disable-next-line no-control-regex
const CONTROL_AND_BIDI = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+/g;
const HTML_ENTITY: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };
/** The same characters, tabs and line breaks kept: for text of several lines. */
// eslint-disable-next-line no-control-regex
const CONTROLS_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
/** Joins two characters invisibly, so that what they start (a link, a mention) is not recognized. */
const WORD_JOINER = '\u2060';

/**
 * The runner takes a line starting with "::" as a workflow command (::error, ::add-mask::,
 * ::stop-commands::) and "##[" anywhere in a line as a legacy one. Outside text never carries
 * either, wherever it is written: a summary printed by the CLI is a log too.
 */
const noCommands = (line: string) => line.replace(/##\[/g, '# #[').replace(/^(\s*)::/, '$1: :');

const oneLine = (text: string) =>
  noCommands(stripAnsi(text).replace(CONTROL_AND_BIDI, ' ').replace(/\s+/g, ' ').trim());

/** A line for the runner's log or a terminal. */
export const logLine = oneLine;

/**
 * Text of several lines (a summary printed to a terminal or a log), each line made inert. The word
 * joiners that keep markdown from linking are dropped: in a terminal a URL must copy as it reads.
 */
export function logLines(text: string): string {
  return stripAnsi(text)
    .split('\n')
    .map((line) => noCommands(line.replace(CONTROLS_BUT_LINES, '')))
    .join('\n');
}

/**
 * The summary's markdown as a terminal shows it: no HTML tags (<details>, <summary>), no escapes
 * (\\[, &lt;) — they keep markdown from rendering, and a terminal renders nothing — then made inert
 * line by line as logLines does. What was escaped reads as the characters themselves.
 */
export function terminalText(markdown: string): string {
  const plain = markdown
    .split('\n')
    .map((line) =>
      line
        .replace(/^\s*(<\/?details>)+/, '')
        .replace(/^\s*<summary>(.*)<\/summary>\s*$/, '$1')
        .replace(/\\([\\`*_{}[\]()#+\-.!|~<>&])/g, '$1')
        .replace(/&(lt|gt|amp|quot);/g, (_, name: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"' })[name] ?? ''),
    )
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
  return logLines(plain);
}

/** Model output in markdown: a code span, where GitHub renders no HTML, link, image or mention. */
export function inlineUntrusted(text: string, maxChars = 160): string {
  const line = oneLine(text);
  if (!line) return '(empty)';
  const capped = line.length > maxChars ? `${line.slice(0, maxChars)}…` : line;
  return `\`${capped.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

/**
 * Our own sentences that may quote server text (error bodies, model ids): readable in a terminal,
 * but no tag, link, autolink, emphasis, image, table break, mention or issue reference comes through.
 */
export function inlineText(text: string, maxChars = 4000): string {
  const line = oneLine(text);
  const capped = line.length > maxChars ? `${line.slice(0, maxChars)}…` : line;
  return capped
    .replace(/[<>&[\]|\\`*_~]/g, (char) => HTML_ENTITY[char] ?? `\\${char}`)
    .replace(/(https?|ftp|mailto)(:)/gi, `$1${WORD_JOINER}$2`)
    .replace(/\bwww\./gi, `www${WORD_JOINER}.`)
    .replace(/([@#])(?=\w)/g, `$1${WORD_JOINER}`);
}

/**
 * Lines of outside text (a server's log) in markdown: a fenced block, where nothing renders, whose
 * fence is longer than any run of backticks in the text, so that the text cannot close it.
 */
export function fencedUntrusted(text: string, maxChars = 8000): string {
  const clean = stripAnsi(text).replace(CONTROLS_BUT_LINES, '').slice(-maxChars);
  const longestRun = Math.max(0, ...(clean.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}text\n${clean}\n${fence}`;
}

// Characters XML 1.0 forbids, lone surrogates included: the builder would refuse the document.
const NOT_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text for an XML attribute or element. */
export function xmlText(text: string): string {
  return stripAnsi(text).replace(NOT_XML, '\ufffd');
}
