// Model output is untrusted text. In markdown it goes into a code span, where GitHub renders no
// HTML, link, image or @mention; what could still break out (backticks ending the span, pipes
// splitting a table cell, line breaks) is neutralized, control and bidi characters removed, and the
// length capped.

// Control characters are what this pattern is for.
// eslint-disable-next-line no-control-regex
const CONTROL_AND_BIDI = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+/g;
const HTML_ENTITY: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };

export function inlineUntrusted(text: string, maxChars = 160): string {
  const oneLine = text.replace(CONTROL_AND_BIDI, ' ').replace(/\s+/g, ' ').trim();
  if (!oneLine) return '(empty)';
  const capped = oneLine.length > maxChars ? `${oneLine.slice(0, maxChars)}…` : oneLine;
  return `\`${capped.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

/**
 * Our own sentences that may quote server text (error bodies, model ids): readable in a terminal,
 * but no tag, link, image, table break or mention can come through.
 */
export function inlineText(text: string, maxChars = 4000): string {
  const oneLine = text.replace(CONTROL_AND_BIDI, ' ').replace(/\s+/g, ' ').trim();
  const capped = oneLine.length > maxChars ? `${oneLine.slice(0, maxChars)}…` : oneLine;
  return capped.replace(/[<>&@[\]|\\`]/g, (char) => (char === '@' ? '&#64;' : (HTML_ENTITY[char] ?? `\\${char}`)));
}
