#!/usr/bin/env node
// A GitHub REST API server for tests: the issue-comment endpoints the action uses, with paginated
// listing, tokens that may write or only read (403 "Resource not accessible by integration", as a
// fork's token gets), on 127.0.0.1. Exits after --ttl seconds or when its parent closes stdin.
//
//   node test-servers/github-api.mjs [--programme-json JSON] [--ttl S]
//
// Programme: { tokens: { "<token>": "write" | "read" | { access, login } } (the login a token writes as,
// github-actions[bot] by default; POST /graphql answers { viewer { login } } without "[bot]", as
// GitHub does), rateLimited (every call answers 403 with x-ratelimit-remaining: 0), trickle (every
// call but the state answers 200 and then one byte a second, never ending),
// comments: [{ id, issue, body, login, type }],
// issues: [{ number, title, body, state, labels }], contents: { "<ref>": { "<path>": "<text>" } },
// issueEvents: { "<issue>": [{ event, label: { name }, actor: { login } }] } }. Issues: list (state,
// labels, paginated), create, update (body, state). Contents: a file at a ref, raw or base64 JSON. Prints {"url": "http://127.0.0.1:PORT"}. GET /__control/state
// returns every comment, issue and request.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { serveBounded } from './lifecycle.mjs';

const { values } = parseArgs({
  options: { 'programme-json': { type: 'string' }, ttl: { type: 'string', default: '300' } },
});
const programme = {
  tokens: { 'ghs_write-token': 'write' },
  comments: [],
  issues: [],
  ...(values['programme-json'] ? JSON.parse(values['programme-json']) : {}),
};
const tokenOf = (token) => {
  const entry = programme.tokens[token];
  if (!entry) return null;
  return typeof entry === 'string' ? { access: entry, login: 'github-actions[bot]' } : entry;
};
const userOf = (login) => ({ login, type: login.endsWith('[bot]') ? 'Bot' : 'User' });
const issues = programme.issues.map((issue) => ({
  state: 'open',
  labels: [],
  ...issue,
  user: userOf(issue.login ?? 'github-actions[bot]'),
}));
let nextIssue = 100 + issues.length;
const comments = programme.comments.map((comment) => ({
  user: { login: comment.login ?? 'someone', type: comment.type ?? 'User' },
  ...comment,
}));
let nextId = 1000 + comments.length;
const requests = [];

const send = (res, status, body, headers = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
};

const readBody = (req) =>
  new Promise((resolve) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

const asApi = (comment, url) => ({
  id: comment.id,
  body: comment.body,
  user: comment.user,
  html_url: `${url}/acme/repo/pull/${comment.issue}#issuecomment-${comment.id}`,
});

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const body = await readBody(req);
  const origin = `http://127.0.0.1:${server.address().port}`;
  if (url.pathname === '/__control/state') return send(res, 200, { comments, issues, requests });
  // A commit's file, set while the server runs (a baseline committed on the base branch).
  if (url.pathname === '/__control/contents' && req.method === 'POST') {
    const { ref, path, text } = JSON.parse(body);
    ((programme.contents ??= {})[ref] ??= {})[path] = text;
    return send(res, 200, {});
  }
  const token = (req.headers.authorization ?? '').replace(/^(token|bearer)\s+/i, '');
  const identity = tokenOf(token);
  const access = identity?.access;
  requests.push({ method: req.method, path: url.pathname + url.search, access: access ?? null });
  if (!access) return send(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
  if (programme.trickle) {
    res.writeHead(200, { 'content-type': 'application/json' });
    const timer = setInterval(() => res.write(' '), 1000);
    res.on('close', () => clearInterval(timer));
    return undefined;
  }
  if (programme.rateLimited)
    return send(
      res,
      403,
      { message: 'API rate limit exceeded for installation.', documentation_url: 'https://docs.github.com/rest' },
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 600) },
    );
  if (url.pathname === '/graphql' && req.method === 'POST')
    return send(res, 200, { data: { viewer: { login: identity.login.replace(/\[bot\]$/, '') } } });

  const forbidden = () =>
    send(res, 403, {
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest',
    });
  const asIssue = (issue) => ({
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    labels: issue.labels.map((name) => ({ name })),
    user: issue.user,
    html_url: `${origin}/acme/repo/issues/${issue.number}`,
  });
  const contentsMatch = url.pathname.match(/^\/repos\/[^/]+\/[^/]+\/contents\/(.+)$/);
  if (contentsMatch && req.method === 'GET') {
    const text = programme.contents?.[url.searchParams.get('ref') ?? '']?.[decodeURIComponent(contentsMatch[1])];
    if (text === undefined) return send(res, 404, { message: 'Not Found' });
    if ((req.headers.accept ?? '').includes('raw')) {
      res.writeHead(200, { 'content-type': 'application/vnd.github.raw; charset=utf-8' });
      return res.end(text);
    }
    return send(res, 200, { type: 'file', encoding: 'base64', content: Buffer.from(text).toString('base64') });
  }
  const eventsMatch = url.pathname.match(/^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/events$/);
  if (eventsMatch && req.method === 'GET') return send(res, 200, programme.issueEvents?.[eventsMatch[1]] ?? []);
  if (/^\/repos\/[^/]+\/[^/]+\/issues$/.test(url.pathname)) {
    if (req.method === 'GET') {
      const state = url.searchParams.get('state') ?? 'open';
      const labels = (url.searchParams.get('labels') ?? '').split(',').filter(Boolean);
      return send(
        res,
        200,
        issues
          .filter(
            (issue) =>
              (state === 'all' || issue.state === state) && labels.every((label) => issue.labels.includes(label)),
          )
          .map(asIssue),
      );
    }
    if (req.method === 'POST') {
      if (access !== 'write') return forbidden();
      const fields = JSON.parse(body);
      const issue = {
        number: (nextIssue += 1),
        title: fields.title,
        body: fields.body ?? '',
        state: 'open',
        labels: fields.labels ?? [],
        user: userOf(identity.login),
      };
      issues.push(issue);
      return send(res, 201, asIssue(issue));
    }
  }
  const issueMatch = url.pathname.match(/^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)$/);
  if (issueMatch && req.method === 'PATCH') {
    if (access !== 'write') return forbidden();
    const issue = issues.find((entry) => entry.number === Number(issueMatch[1]));
    if (!issue) return send(res, 404, { message: 'Not Found' });
    Object.assign(
      issue,
      Object.fromEntries(Object.entries(JSON.parse(body)).filter(([key]) => ['body', 'state', 'title'].includes(key))),
    );
    return send(res, 200, asIssue(issue));
  }
  let match = url.pathname.match(/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/);
  if (match && req.method === 'GET') {
    const issue = Number(match[3]);
    const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
    const page = Number(url.searchParams.get('page') ?? 1);
    const all = comments.filter((comment) => comment.issue === issue);
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const link =
      page < last
        ? {
            link: `<${origin}${url.pathname}?per_page=${perPage}&page=${page + 1}>; rel="next", <${origin}${url.pathname}?per_page=${perPage}&page=${last}>; rel="last"`,
          }
        : {};
    return send(
      res,
      200,
      slice.map((comment) => asApi(comment, origin)),
      link,
    );
  }
  if (match && req.method === 'POST') {
    if (access !== 'write')
      return send(res, 403, {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest',
      });
    const comment = {
      id: (nextId += 1),
      issue: Number(match[3]),
      body: JSON.parse(body).body,
      user: userOf(identity.login),
    };
    comments.push(comment);
    return send(res, 201, asApi(comment, origin));
  }
  match = url.pathname.match(/^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/);
  if (match && req.method === 'PATCH') {
    if (access !== 'write')
      return send(res, 403, {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest',
      });
    const comment = comments.find((entry) => entry.id === Number(match[3]));
    if (!comment) return send(res, 404, { message: 'Not Found' });
    comment.body = JSON.parse(body).body;
    return send(res, 200, asApi(comment, origin));
  }
  return send(res, 404, { message: 'Not Found' });
});

serveBounded(server, Number(values.ttl));
