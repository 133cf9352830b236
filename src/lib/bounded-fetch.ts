// Every network read has a ceiling and every request a deadline. fetch reads a body as long as the
// peer sends it and inflates gzip without limit; this wrapper counts the bytes as they arrive,
// after decompression (so a gzip bomb is cut as early as an endless body), and ends the request at
// its deadline or on the caller's cancellation, body included.

/** An error body is quoted in one sentence: this much is more than enough. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** Larger than any answer, model list or API response a run reads (answers are capped far lower). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export class BodyTooLarge extends Error {
  constructor(
    readonly url: string,
    readonly limit: number,
  ) {
    super(`the answer from ${url} passed ${limit / 1024 / 1024} MB, more than any answer model-gate reads`);
  }
}

/**
 * The body, read through a counter. A pull-based stream with no queue of its own: a TransformStream
 * (pipeThrough) costs a pipe and two queues for every chunk, which a streamed answer has hundreds of.
 */
function capped(body: ReadableStream<Uint8Array>, limit: number, onOver: () => Error | 'end') {
  const reader = body.getReader();
  let total = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        total += value.byteLength;
        if (total <= limit) {
          controller.enqueue(value);
          return;
        }
        const over = onOver();
        void reader.cancel().catch(() => undefined);
        if (over === 'end') {
          controller.enqueue(value.subarray(0, Math.max(0, value.byteLength - (total - limit))));
          controller.close();
        } else controller.error(over);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

export function boundedFetch(options: {
  timeoutMs: number;
  maxBytes?: number;
  maxErrorBytes?: number;
  fetch?: typeof fetch;
}): typeof fetch {
  const inner = options.fetch ?? fetch;
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;
  const maxErrorBytes = options.maxErrorBytes ?? MAX_ERROR_BODY_BYTES;
  return async (input, init) => {
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    const response = await inner(input, { ...init, signal });
    if (!response.body) return response;
    const url = input instanceof Request ? input.url : String(input);
    // An error body is only quoted: its start is kept and the rest never read.
    const body = response.ok
      ? capped(response.body, maxBytes, () => new BodyTooLarge(url, maxBytes))
      : capped(response.body, maxErrorBytes, () => 'end');
    const bounded = new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    Object.defineProperty(bounded, 'url', { value: response.url });
    return bounded;
  };
}
