#!/usr/bin/env node
// An OpenAI-compatible server for tests, benchmarks and the demo: real HTTP on 127.0.0.1 with
// programmable latency, answers, failures and auth. It exits by itself after --ttl seconds or
// when its parent closes stdin. Node built-ins only, so it runs anywhere Node runs.
//
//   node test-servers/openai-compatible.mjs [--programme FILE | --programme-json JSON] [--ttl S]
//
// Prints one JSON line {"url": "http://127.0.0.1:PORT"} once listening. Control API (tests only):
//   POST /__control/programme  replace the programme        GET /__control/stats  what it has seen
//   POST /__control/restart?downMs=N  act as a restarting server: every API call answers 503 for N ms
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createGzip } from 'node:zlib';
import { parseArgs } from 'node:util';
import { readBody, sendJson, serveBounded } from './lifecycle.mjs';

/**
 * The programme: everything the server does is data.
 * - models: ids listed by GET {prefix}/models; a chat for another model gets a 404 like vLLM's.
 * - apiKey: when set, every API call needs "Authorization: Bearer <apiKey>"; others get authStatus
 *   (with modelsNeedNoKey, GET /models does not, as in older llama.cpp builds and many gateways)
 *   (401 by default; 403 for gateways that know the key but deny the call).
 * - pathPrefix: where the API lives ("/v1"); any other path answers 404.
 * - latency: ttftMs before the first token, perTokenMs between tokens, jitterPct (lognormal spread),
 *   modelsDelayMs before answering GET /models.
 * - answers: image sha256 (or, without an image, the user message's sha256) → { hit, miss }: what is
 *   sent when the model gets it right / wrong: text, or { toolCall: { name, arguments } }.
 * POST {prefix}/embeddings answers deterministic bag-of-words vectors (for answer similarity).
 * - quality: hitRate, invalidJsonRate (truncated JSON), proseRate (a sentence instead of JSON).
 *   With perScenario, a model at temperature 0: each scenario has a fixed difficulty (a hash of its
 *   key), the answer is a hit where difficulty < hitRate, the same every time, and nondeterminism is
 *   the chance that one call answers otherwise (batched GPU inference). Two programmes with the same
 *   keys and a lower hitRate miss exactly the scenarios between the two rates.
 * - failures: errorRate with errorStatus (HTTP error) and errorMessage (its text), hangRate (never answers), truncateRate (the
 *   stream ends cleanly halfway, without a finish_reason), resetRate (the socket is destroyed halfway),
 *   malformedRate (a streamed event that is not JSON).
 *   htmlRate (a proxy's HTML error page: 502, text/html), binaryRate (bytes that are not UTF-8 in the
 *   streamed content), hugeRate (an answer of hugeBytes, 50 MB by default, ignoring max_tokens),
 *   dieAfterChats (the process exits, as a crashed server does, once that many chats arrived),
 *   hangAfterChats (once that many chats arrived, nothing is answered any more, health checks included:
 *   a hung server that still accepts connections).
 * - echoAuthorization: injected HTTP errors quote the request's Authorization header, as some gateways do.
 * - usage: whether the final stream chunk carries token usage (when the client asks).
 * - serverVersion: answered at GET /version as vLLM does (null: no such endpoint).
 * - toolCallIndex: the index streamed tool-call pieces carry (0; a hostile server sends 4294967294).
 * - hostile: endlessErrorBody (every chat answers 400 with a body that never ends), modelsGzipBomb
 *   (GET /models answers gzip that inflates without end), deepToolArguments (streamed tool-call
 *   arguments nested that many arrays deep), shortEmbeddings (one vector fewer than inputs).
 * - timings: the final stream chunk carries llama.cpp's `timings` object (prompt_n, prompt_ms,
 *   predicted_n, predicted_ms), from the injected delays.
 */
const DEFAULT_PROGRAMME = {
  models: ['test-model'],
  toolCallIndex: 0,
  hostile: {},
  apiKey: null,
  modelsNeedNoKey: false,
  authStatus: 401,
  pathPrefix: '/v1',
  latency: { ttftMs: 0, perTokenMs: 0, jitterPct: 0, modelsDelayMs: 0 },
  answers: {},
  defaultAnswer: '{"additional_checks": []}',
  quality: { hitRate: 1, invalidJsonRate: 0, proseRate: 0, perScenario: false, nondeterminism: 0 },
  failures: {
    errorRate: 0,
    errorStatus: 500,
    hangRate: 0,
    truncateRate: 0,
    resetRate: 0,
    malformedRate: 0,
    htmlRate: 0,
    binaryRate: 0,
    hugeRate: 0,
    hugeBytes: 50 * 1024 * 1024,
    dieAfterChats: 0,
    hangAfterChats: 0,
  },
  usage: true,
  serverVersion: null,
  timings: false,
  seed: 1,
};

const { values } = parseArgs({
  options: {
    programme: { type: 'string' },
    'programme-json': { type: 'string' },
    ttl: { type: 'string', default: '300' },
  },
});

function withDefaults(partial) {
  return {
    ...DEFAULT_PROGRAMME,
    ...partial,
    latency: { ...DEFAULT_PROGRAMME.latency, ...(partial.latency ?? {}) },
    quality: { ...DEFAULT_PROGRAMME.quality, ...(partial.quality ?? {}) },
    failures: { ...DEFAULT_PROGRAMME.failures, ...(partial.failures ?? {}) },
  };
}

let programme = withDefaults(
  values.programme
    ? JSON.parse(readFileSync(values.programme, 'utf8'))
    : values['programme-json']
      ? JSON.parse(values['programme-json'])
      : {},
);

// Seeded PRNG (mulberry32) so a programme gives the same outcomes in the same request order.
let rngState = programme.seed >>> 0;
function random() {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function jittered(ms) {
  if (!ms || !programme.latency.jitterPct) return ms;
  const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return ms * Math.exp((gaussian * programme.latency.jitterPct) / 100);
}
const sleep = (ms) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
// Delays are kept against absolute deadlines, so that timer overshoot does not add up over the
// tokens of an answer: token i leaves at decode start + i × perTokenMs, as near as timers allow.
const sleepUntil = (deadline) => sleep(deadline - performance.now());

const stats = {
  requests: 0,
  models: 0,
  chat: 0,
  unauthorized: 0,
  lastChat: null,
  chatCompleted: 0,
  restarts: 0,
  chatsSinceRestart: 0,
  notReadyAnswers: 0,
  /** The 503s of a restart, by path: GET /v1/models apart from the version probes sent beside it. */
  notReadyByPath: {},
  cut: 0,
  inFlightAtArrival: [],
};
let chatsInFlight = 0;
let downUntil = 0;

function imageSha(messages) {
  for (const message of messages ?? []) {
    if (!Array.isArray(message.content)) continue;
    for (const part of message.content) {
      const url = part?.image_url?.url;
      if (typeof url === 'string' && url.startsWith('data:')) {
        return createHash('sha256')
          .update(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'))
          .digest('hex');
      }
    }
  }
  return null;
}

/** Text-only scenarios are keyed by their user message (the last one's text). */
function promptSha(messages) {
  const last = [...(messages ?? [])].reverse().find((message) => message.role === 'user');
  const text =
    typeof last?.content === 'string'
      ? last.content
      : (last?.content ?? []).find?.((part) => part.type === 'text')?.text;
  return typeof text === 'string' ? createHash('sha256').update(text).digest('hex') : null;
}

/**
 * The scripted answer: text, or a tool call. A tool call goes out as streamed tool_calls when the
 * request offered tools, else as the JSON fallback {"tool", "arguments"} a prompt-only router writes.
 */
function chooseAnswer(key, offeredTools) {
  const { quality } = programme;
  const roll = random();
  if (roll < quality.proseRate) return { text: 'I looked at the screen carefully and nothing seems unusual to me.' };
  const entry = key ? programme.answers[key] : undefined;
  const scripted = entry ? (hits(key) ? entry.hit : entry.miss) : programme.defaultAnswer;
  if (typeof scripted === 'object' && scripted.toolCall) {
    if (offeredTools) return { text: '', toolCall: scripted.toolCall };
    return { text: JSON.stringify({ tool: scripted.toolCall.name, arguments: scripted.toolCall.arguments }) };
  }
  const text = String(scripted);
  if (roll < quality.proseRate + quality.invalidJsonRate)
    return { text: text.slice(0, Math.max(1, Math.floor(text.length / 2))) };
  return { text };
}

/** A scenario's fixed difficulty in [0, 1): the same for every programme, so models differ only by their rates. */
const difficulty = (key) => createHash('sha256').update(`difficulty:${key}`).digest().readUInt32BE(0) / 2 ** 32;

function hits(key) {
  const { quality } = programme;
  if (!quality.perScenario) return random() < quality.hitRate;
  const usual = difficulty(key) < quality.hitRate;
  return random() < quality.nondeterminism ? !usual : usual;
}

/** A deterministic embedding: words hashed into 64 dimensions, unit length (cosine = overlap of words). */
function embed(text) {
  const vector = new Array(64).fill(0);
  for (const word of String(text)
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu) ?? [])
    vector[createHash('sha256').update(word).digest()[0] % 64] += 1;
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

/** Splits text into "tokens" of about four characters, as a tokenizer would roughly do. */
function tokenize(text) {
  return text.match(/[\s\S]{1,4}/g) ?? [];
}

async function handleChat(req, res, body, arrivedAt) {
  stats.chat += 1;
  stats.chatsSinceRestart += 1;
  let request;
  try {
    request = JSON.parse(body);
  } catch {
    return sendJson(res, 400, { error: { message: 'Request body is not JSON', type: 'invalid_request_error' } });
  }
  const sha = imageSha(request.messages);
  const key = sha ?? promptSha(request.messages);
  stats.lastChat = {
    model: request.model,
    stream: request.stream === true,
    streamOptions: request.stream_options ?? null,
    responseFormat: request.response_format ?? null,
    temperature: request.temperature ?? null,
    maxTokens: request.max_tokens ?? null,
    imageSha256: sha,
    promptStart: request.messages?.[0]?.content?.find?.((part) => part.type === 'text')?.text?.slice(0, 80) ?? null,
    system: request.messages?.find?.((message) => message.role === 'system')?.content ?? null,
    tools: Array.isArray(request.tools) ? request.tools.map((tool) => tool.function?.name) : null,
    requestId: req.headers['x-request-id'] ?? null,
  };
  if (!programme.models.includes(request.model)) {
    return sendJson(res, 404, {
      error: { message: `The model \`${request.model}\` does not exist.`, type: 'NotFoundError', code: 404 },
    });
  }
  const { failures, latency } = programme;
  if (programme.hostile.endlessErrorBody) return endless(res, 400, 'application/json', false);
  if (failures.dieAfterChats > 0 && stats.chat > failures.dieAfterChats) {
    // A crash: connections drop and nothing listens any more.
    res.destroy();
    process.exit(0);
  }
  const roll = random();
  if (roll < failures.hangRate) return; // never answers; the client's timeout must end it
  // Drawn only when one of these faults is asked for, so that other programmes keep their sequence.
  const special = failures.htmlRate + failures.hugeRate + failures.binaryRate > 0 ? random() : 1;
  if (special < failures.htmlRate) {
    res.writeHead(502, { 'content-type': 'text/html' });
    return res.end(
      '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n',
    );
  }
  if (special >= failures.htmlRate && special < failures.htmlRate + failures.hugeRate)
    return streamHuge(res, request, failures.hugeBytes);
  const binary =
    special >= failures.htmlRate + failures.hugeRate &&
    special < failures.htmlRate + failures.hugeRate + failures.binaryRate;
  if (roll < failures.hangRate + failures.errorRate) {
    // Some gateways echo the request's credentials in their errors: echoAuthorization does too.
    const echoed = programme.echoAuthorization ? ` for ${req.headers.authorization ?? 'no authorization'}` : '';
    return sendJson(res, failures.errorStatus, {
      error: {
        message: `${failures.errorMessage ?? `Injected failure (HTTP ${failures.errorStatus})`}${echoed}`,
        type: 'server_error',
      },
    });
  }
  const answer = chooseAnswer(key, Array.isArray(request.tools) && request.tools.length > 0);
  const text = answer.text;
  const deep = programme.hostile.deepToolArguments;
  const toolArguments = answer.toolCall
    ? deep
      ? `{"app": ${'['.repeat(deep)}${']'.repeat(deep)}}`
      : JSON.stringify(answer.toolCall.arguments ?? {})
    : '';
  const tokens = answer.toolCall ? tokenize(toolArguments) : tokenize(text);
  const cut = roll - failures.hangRate - failures.errorRate;
  const truncate = cut >= 0 && cut < failures.truncateRate;
  const reset = cut >= failures.truncateRate && cut < failures.truncateRate + failures.resetRate;
  const malformed =
    cut >= failures.truncateRate + failures.resetRate &&
    cut < failures.truncateRate + failures.resetRate + failures.malformedRate;
  const id = `chatcmpl-${stats.chat}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = { prompt_tokens: 1000, completion_tokens: tokens.length, total_tokens: 1000 + tokens.length };

  if (!request.stream) {
    await sleep(jittered(latency.ttftMs) + tokens.length * latency.perTokenMs);
    stats.chatCompleted += 1;
    const message = answer.toolCall
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: answer.toolCall.name, arguments: toolArguments } },
          ],
        }
      : { role: 'assistant', content: text };
    return sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: request.model,
      choices: [{ index: 0, message, finish_reason: answer.toolCall ? 'tool_calls' : 'stop' }],
      usage,
    });
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  // Headers leave now, before the first token, as vLLM's and llama.cpp's streaming responses do.
  res.flushHeaders();
  const chunk = (delta, finishReason = null, extra = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`;
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  // Time to first token counts from the request's arrival, as a server's queue and prefill would.
  const promptStarted = arrivedAt;
  await sleepUntil(arrivedAt + jittered(latency.ttftMs));
  const decodeStarted = performance.now();
  const perToken = jittered(latency.perTokenMs);
  for (let index = 0; index < tokens.length && !closed; index += 1) {
    if (index > 0) await sleepUntil(decodeStarted + index * perToken);
    if ((truncate || reset) && index === Math.floor(tokens.length / 2)) {
      stats.cut += 1;
      return truncate ? res.end() : res.destroy();
    }
    if (malformed && index === Math.floor(tokens.length / 2)) {
      res.write('data: {"id": "broken", "choices": [\n\n');
      return res.end('data: [DONE]\n\n');
    }
    if (answer.toolCall) {
      // As vLLM streams a tool call: the name and id in the first piece, then the arguments' text.
      const call =
        index === 0
          ? {
              index: programme.toolCallIndex,
              id: 'call_1',
              type: 'function',
              function: { name: answer.toolCall.name, arguments: tokens[index] },
            }
          : { index: programme.toolCallIndex, function: { arguments: tokens[index] } };
      res.write(chunk(index === 0 ? { role: 'assistant', content: null, tool_calls: [call] } : { tool_calls: [call] }));
    } else if (binary && index === 1) {
      // Raw bytes that are not UTF-8, inside the JSON string of the content.
      const line = chunk({ content: 'XX' });
      res.write(
        Buffer.concat([
          Buffer.from(line.slice(0, line.indexOf('XX'))),
          Buffer.from([0xff, 0xfe, 0xc3]),
          Buffer.from(line.slice(line.indexOf('XX') + 2)),
        ]),
      );
    } else {
      res.write(chunk(index === 0 ? { role: 'assistant', content: tokens[index] } : { content: tokens[index] }));
    }
  }
  if (closed) return;
  const timings = programme.timings
    ? {
        timings: {
          prompt_n: 1000,
          prompt_ms: decodeStarted - promptStarted,
          predicted_n: tokens.length,
          predicted_ms: performance.now() - decodeStarted,
        },
      }
    : {};
  res.write(chunk({}, answer.toolCall ? 'tool_calls' : 'stop', timings));
  if (programme.usage && request.stream_options?.include_usage) {
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, choices: [], usage })}\n\n`,
    );
  }
  res.end('data: [DONE]\n\n');
  stats.chatCompleted += 1;
}

/** An answer that never heeds max_tokens: hugeBytes of content in 64 KB chunks, as fast as the socket takes them. */
async function streamHuge(res, request, bytes) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const piece = 'a'.repeat(64 * 1024);
  const line = `data: ${JSON.stringify({ id: 'huge', object: 'chat.completion.chunk', created: 0, model: request.model, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`;
  let closed = false;
  res.on('close', () => (closed = true));
  for (let sent = 0; sent < bytes && !closed; sent += piece.length) {
    if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
  }
  if (closed) return;
  stats.hugeCompleted = (stats.hugeCompleted ?? 0) + 1;
  res.end('data: [DONE]\n\n');
}

/** A body that never ends (until the client goes away): as sent, or gzip that inflates without end. */
function endless(res, status, contentType, gzip) {
  res.writeHead(status, { 'content-type': contentType, ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
  const block = Buffer.alloc(64 * 1024, 0x20);
  const out = gzip ? createGzip() : res;
  if (gzip) out.pipe(res);
  let open = true;
  res.on('close', () => {
    open = false;
    if (gzip) out.destroy();
  });
  const pump = () => {
    while (open && out.write(block));
    if (open) out.once('drain', pump);
  };
  pump();
}

const server = createServer(async (req, res) => {
  const arrivedAt = performance.now();
  stats.requests += 1;
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const body = await readBody(req);
  try {
    if (url.pathname === '/__control/programme' && req.method === 'POST') {
      programme = withDefaults(JSON.parse(body));
      rngState = programme.seed >>> 0;
      return sendJson(res, 200, { ok: true });
    }
    if (url.pathname === '/__control/stats') return sendJson(res, 200, stats);
    if (url.pathname === '/__control/restart' && req.method === 'POST') {
      stats.restarts += 1;
      stats.chatsSinceRestart = 0;
      downUntil = Date.now() + Number(url.searchParams.get('downMs') ?? 0);
      return sendJson(res, 200, { ok: true });
    }
    const hangAfter = programme.failures?.hangAfterChats ?? 0;
    if (hangAfter > 0 && stats.chat >= hangAfter && url.pathname.startsWith(programme.pathPrefix)) return; // hung
    if (Date.now() < downUntil) {
      stats.notReadyAnswers += 1;
      stats.notReadyByPath[url.pathname] = (stats.notReadyByPath[url.pathname] ?? 0) + 1;
      return sendJson(res, 503, { error: { message: 'Model is loading', type: 'server_error' } });
    }
    if (url.pathname === '/version' && programme.serverVersion)
      return sendJson(res, 200, { version: programme.serverVersion });

    const prefix = programme.pathPrefix;
    if (!url.pathname.startsWith(`${prefix}/`)) return sendJson(res, 404, { detail: 'Not Found' });
    // Older llama.cpp builds and many gateways list models without a key and check it on chats only.
    const openModels = programme.modelsNeedNoKey && url.pathname === `${prefix}/models`;
    if (programme.apiKey && !openModels && req.headers.authorization !== `Bearer ${programme.apiKey}`) {
      stats.unauthorized += 1;
      return sendJson(res, programme.authStatus, {
        error: programme.authStatus === 403 ? 'Forbidden' : 'Unauthorized',
      });
    }
    const route = url.pathname.slice(prefix.length);
    if (route === '/models' && req.method === 'GET') {
      stats.models += 1;
      if (programme.hostile.modelsGzipBomb) return endless(res, 200, 'application/json', true);
      await sleep(programme.latency.modelsDelayMs);
      return sendJson(res, 200, {
        object: 'list',
        data: programme.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'test' })),
      });
    }
    if (route === '/embeddings' && req.method === 'POST') {
      stats.embeddings = (stats.embeddings ?? 0) + 1;
      const request = JSON.parse(body);
      const inputs = Array.isArray(request.input) ? request.input : [request.input];
      return sendJson(res, 200, {
        object: 'list',
        model: request.model,
        data: inputs
          .slice(0, programme.hostile.shortEmbeddings ? -1 : undefined)
          .map((input, index) => ({ object: 'embedding', index, embedding: embed(input) })),
        usage: { prompt_tokens: 0, total_tokens: 0 },
      });
    }
    if (route === '/chat/completions' && req.method === 'POST') {
      chatsInFlight += 1;
      stats.inFlightAtArrival.push(chatsInFlight);
      res.on('close', () => (chatsInFlight -= 1));
      return await handleChat(req, res, body, arrivedAt);
    }
    return sendJson(res, 404, { detail: 'Not Found' });
  } catch (error) {
    if (!res.headersSent) sendJson(res, 500, { error: { message: String(error) } });
    else res.destroy();
  }
});

server.keepAliveTimeout = 5000;
serveBounded(server, Number(values.ttl));
