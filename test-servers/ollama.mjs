#!/usr/bin/env node
// A server speaking Ollama's native API, for tests and benchmarks: real HTTP on 127.0.0.1,
// models that load on first use and unload on keep_alive 0, NDJSON streaming with Ollama's
// durations, and an event log of what it was asked. Node built-ins only; bounded like the others.
//
//   node test-servers/ollama.mjs [--programme-json JSON] [--ttl S]
//
// Prints {"url": "http://127.0.0.1:PORT"} once listening. GET /__control/stats: what it has seen.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { readBody, sendJson, serveBounded } from './lifecycle.mjs';

/**
 * - models: what GET /api/tags lists (pulled); loaded: what is in memory at start (GET /api/ps).
 * - loadMs: time to load a model on the first call after it was unloaded (reported as load_duration).
 * - unloadLagMs: how long /api/ps still lists a model after keep_alive 0; ignoreUnload: never unloads.
 * - latency: ttftMs (prompt evaluation) and perTokenMs (decode) per answer.
 * - answers: image sha256 (or the user message's, without an image) → { hit }: text, or
 *   { toolCall: { name, arguments } }, sent as Ollama's tool_calls when the request offers tools;
 *   defaultAnswer otherwise.
 */
const DEFAULT_PROGRAMME = {
  models: ['llava:7b'],
  loaded: ['llava:7b'],
  loadMs: 200,
  unloadLagMs: 0,
  ignoreUnload: false,
  latency: { ttftMs: 0, perTokenMs: 0 },
  answers: {},
  defaultAnswer: '{"additional_checks": []}',
  version: '0.9.0',
};

const { values } = parseArgs({
  options: { 'programme-json': { type: 'string' }, ttl: { type: 'string', default: '300' } },
});
const given = values['programme-json'] ? JSON.parse(values['programme-json']) : {};
const programme = {
  ...DEFAULT_PROGRAMME,
  ...given,
  latency: { ...DEFAULT_PROGRAMME.latency, ...(given.latency ?? {}) },
};

const loaded = new Map(programme.loaded.map((name) => [name, { unloadAt: null }]));
const events = [];
const sleep = (ms) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
const sleepUntil = (deadline) => sleep(deadline - performance.now());
const canonical = (name) => (name.includes(':') ? name : `${name}:latest`);
const known = (name) => programme.models.find((model) => canonical(model) === canonical(name));

function isLoaded(name) {
  const entry = loaded.get(name);
  if (!entry) return false;
  if (entry.unloadAt !== null && Date.now() >= entry.unloadAt) {
    loaded.delete(name);
    return false;
  }
  return true;
}

function unload(name) {
  events.push({ type: 'unload', model: name, at: Date.now() });
  if (programme.ignoreUnload || !loaded.has(name)) return;
  loaded.get(name).unloadAt = Date.now() + programme.unloadLagMs;
}

async function chat(req, res, request) {
  const model = known(request.model ?? '');
  if (!model) return sendJson(res, 404, { error: `model "${request.model}" not found, try pulling it first` });
  const wasLoaded = isLoaded(model);
  const user = [...(request.messages ?? [])].reverse().find((message) => message.role === 'user');
  const image = user?.images?.[0];
  const sha =
    typeof image === 'string' ? createHash('sha256').update(Buffer.from(image, 'base64')).digest('hex') : null;
  // Text-only scenarios are keyed by the user message, as in the OpenAI-compatible server.
  const key =
    sha ?? (typeof user?.content === 'string' ? createHash('sha256').update(user.content).digest('hex') : null);
  const tools = Array.isArray(request.tools) ? request.tools.map((tool) => tool.function?.name) : null;
  const system = request.messages?.find((message) => message.role === 'system')?.content ?? null;
  events.push({
    type: 'chat',
    model,
    wasLoaded,
    format: request.format ?? null,
    keepAlive: request.keep_alive ?? null,
    options: request.options ?? null,
    imageSha256: sha,
    tools,
    system,
    at: Date.now(),
  });
  const started = process.hrtime.bigint();
  if (!wasLoaded) await sleep(programme.loadMs);
  loaded.set(model, { unloadAt: request.keep_alive === 0 ? Date.now() : null });
  const loadNs = process.hrtime.bigint() - started;
  const scripted = (key && programme.answers[key]?.hit) || programme.defaultAnswer;
  // A scripted tool call goes out as Ollama sends one, whole, with its arguments as an object.
  const toolCall = typeof scripted === 'object' && scripted.toolCall && tools ? scripted.toolCall : null;
  const text =
    typeof scripted === 'object' && scripted.toolCall
      ? toolCall
        ? ''
        : JSON.stringify({ tool: scripted.toolCall.name, arguments: scripted.toolCall.arguments })
      : scripted;
  const tokens = text.match(/[\s\S]{1,4}/g) ?? [];
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  res.flushHeaders();
  const promptStarted = process.hrtime.bigint();
  await sleep(programme.latency.ttftMs);
  const decodeStarted = process.hrtime.bigint();
  const decodeStartedMs = performance.now();
  const line = (body) => res.write(`${JSON.stringify({ model, created_at: new Date().toISOString(), ...body })}\n`);
  for (let index = 0; index < tokens.length; index += 1) {
    if (index > 0) await sleepUntil(decodeStartedMs + index * programme.latency.perTokenMs);
    line({ message: { role: 'assistant', content: tokens[index] }, done: false });
  }
  if (toolCall)
    line({
      message: {
        role: 'assistant',
        content: '',
        tool_calls: [{ function: { name: toolCall.name, arguments: toolCall.arguments } }],
      },
      done: false,
    });
  const end = process.hrtime.bigint();
  line({
    message: { role: 'assistant', content: '' },
    done: true,
    done_reason: 'stop',
    total_duration: Number(end - started),
    load_duration: Number(loadNs),
    prompt_eval_count: 900,
    prompt_eval_duration: Number(decodeStarted - promptStarted),
    eval_count: tokens.length,
    eval_duration: Number(end - decodeStarted),
  });
  res.end();
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const body = await readBody(req);
  try {
    if (url.pathname === '/__control/stats')
      return sendJson(res, 200, { events, loaded: [...loaded.keys()].filter(isLoaded) });
    if (url.pathname === '/' && req.method === 'GET') return res.end('Ollama is running');
    if (url.pathname === '/api/version') return sendJson(res, 200, { version: programme.version });
    if (url.pathname === '/api/tags')
      return sendJson(res, 200, {
        models: programme.models.map((name) => ({
          name,
          model: name,
          size: 4_700_000_000,
          details: { format: 'gguf' },
        })),
      });
    if (url.pathname === '/api/ps') {
      return sendJson(res, 200, {
        models: [...loaded.keys()].filter(isLoaded).map((name) => ({ name, model: name, size_vram: 5_000_000_000 })),
      });
    }
    if (url.pathname === '/api/generate' && req.method === 'POST') {
      const request = JSON.parse(body);
      const model = known(request.model ?? '');
      if (!model) return sendJson(res, 404, { error: `model "${request.model}" not found, try pulling it first` });
      if (request.keep_alive === 0 && !request.prompt) {
        unload(model);
        return sendJson(res, 200, {
          model,
          created_at: new Date().toISOString(),
          response: '',
          done: true,
          done_reason: 'unload',
        });
      }
      return sendJson(res, 400, { error: 'this test server only unloads through /api/generate' });
    }
    if (url.pathname === '/api/chat' && req.method === 'POST') return await chat(req, res, JSON.parse(body));
    return sendJson(res, 404, { error: '404 page not found' });
  } catch (error) {
    if (!res.headersSent) sendJson(res, 500, { error: String(error) });
    else res.destroy();
  }
});

server.keepAliveTimeout = 5000;
serveBounded(server, Number(values.ttl));
