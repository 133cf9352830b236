// Lines of a newline-delimited stream (Ollama's NDJSON), decoded as UTF-8 across chunk boundaries.
// Written here rather than through node:readline, whose async iterator does not end when a fetch
// body it reads is aborted mid-stream: the abort must reach the caller as an error.

export async function* streamLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const bytes of body) {
    pending += decoder.decode(bytes, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      yield pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  }
  pending += decoder.decode();
  if (pending) yield pending;
}
