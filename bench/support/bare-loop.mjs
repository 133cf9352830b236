// The bare loop for the load benchmark: the same streamed requests through the openai client, at
// the same concurrency, nothing else. Prints {"ms": wall time}.
//   node bench/support/bare-loop.mjs URL MODEL CONCURRENCY REQUESTS_JSON_FILE
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import pLimit from 'p-limit';

const [url, model, concurrency, file] = process.argv.slice(2);
const requests = JSON.parse(readFileSync(file, 'utf8'));
const client = new OpenAI({ baseURL: url, apiKey: 'none', maxRetries: 0 });
const limit = pLimit(Number(concurrency));
const started = performance.now();
await Promise.all(
  requests.map((messages) =>
    limit(async () => {
      const stream = await client.chat.completions.create({
        model,
        messages,
        stream: true,
        stream_options: { include_usage: true },
        temperature: 0,
        max_tokens: 512,
      });
      for await (const chunk of stream) void chunk;
    }),
  ),
);
console.log(JSON.stringify({ ms: performance.now() - started }));
