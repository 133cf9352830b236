// Model output is untrusted text. Before it appears in markdown it is capped, put on one line, and
// every character that markdown or HTML would act on is escaped, so it can neither format, link,
// mention (@team), nor inject tags into a summary or comment.

const MARKDOWN_SPECIAL = /[\\`*_{}[\]()<>#+\-.!|~&"'=:@]/g;
const HTML_ENTITY: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' };

export function inlineUntrusted(text: string, maxChars = 160): string {
  const oneLine = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+/g, ' ').replace(/\s+/g, ' ').trim();
  const capped = oneLine.length > maxChars ? `${oneLine.slice(0, maxChars)}…` : oneLine;
  return capped.replace(MARKDOWN_SPECIAL, (char) => HTML_ENTITY[char] ?? (char === '@' ? '&#64;' : `\\${char}`));
}

/**
 * Our own sentences that may quote server text (error bodies, model ids): readable in a terminal,
 * but no tag, link, image, table break or mention can come through.
 */
export function inlineText(text: string, maxChars = 4000): string {
  const oneLine = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/\s+/g, ' ').trim();
  const capped = oneLine.length > maxChars ? `${oneLine.slice(0, maxChars)}…` : oneLine;
  return capped.replace(/[<>&@[\]|\\`]/g, (char) => (char in HTML_ENTITY ? HTML_ENTITY[char]! : char === '@' ? '&#64;' : `\\${char}`));
}
