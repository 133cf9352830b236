#!/usr/bin/env node
// GitHub Actions' artifact service for tests: the Twirp results API that @actions/artifact calls
// (CreateArtifact, FinalizeArtifact, ListArtifacts, GetSignedArtifactURL) and the blob storage it
// uploads to (Azure's Put Block and Put Block List) and downloads from. Loopback only; it exits after
// --ttl seconds or when its parent closes stdin. Prints {"url": ...} once listening.
//   GET /__control/state   the artifacts stored: { artifacts: [{ id, name, run, job, size }] }
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { readBody, sendJson, serveBounded } from './lifecycle.mjs';

const { values } = parseArgs({
  options: { ttl: { type: 'string', default: '120' }, 'programme-json': { type: 'string' } },
});
const SERVICE = '/twirp/github.actions.results.api.v1.ArtifactService/';
const artifacts = [];
let nextId = 1;

const listed = (artifact) => ({
  workflow_run_backend_id: artifact.run,
  workflow_job_run_backend_id: artifact.job,
  database_id: String(artifact.id),
  name: artifact.name,
  size: String(artifact.blob?.length ?? 0),
  created_at: artifact.createdAt,
});

async function readRaw(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const base = `http://127.0.0.1:${server.address().port}`;
  if (url.pathname === '/__control/state')
    return sendJson(res, 200, {
      artifacts: artifacts.map((artifact) => ({
        id: artifact.id,
        name: artifact.name,
        run: artifact.run,
        job: artifact.job,
        size: artifact.blob?.length ?? 0,
      })),
    });

  if (url.pathname.startsWith(SERVICE) && req.method === 'POST') {
    const body = JSON.parse((await readBody(req)) || '{}');
    const method = url.pathname.slice(SERVICE.length);
    if (method === 'CreateArtifact') {
      const artifact = {
        id: nextId++,
        name: body.name,
        run: body.workflow_run_backend_id,
        job: body.workflow_job_run_backend_id,
        blocks: new Map(),
        blob: null,
        createdAt: new Date().toISOString(),
      };
      artifacts.push(artifact);
      return sendJson(res, 200, { ok: true, signed_upload_url: `${base}/blob/upload/${artifact.id}?sig=test` });
    }
    if (method === 'FinalizeArtifact') {
      const artifact = artifacts.find(
        (entry) =>
          entry.name === body.name &&
          entry.run === body.workflow_run_backend_id &&
          entry.job === body.workflow_job_run_backend_id &&
          entry.blob,
      );
      return artifact
        ? sendJson(res, 200, { ok: true, artifact_id: String(artifact.id) })
        : sendJson(res, 404, { code: 'not_found', msg: 'no uploaded artifact of that name' });
    }
    if (method === 'ListArtifacts') {
      const found = artifacts.filter(
        (artifact) =>
          artifact.blob &&
          artifact.run === body.workflow_run_backend_id &&
          (!body.name_filter || artifact.name === body.name_filter) &&
          (!body.id_filter || String(artifact.id) === String(body.id_filter)),
      );
      return sendJson(res, 200, { artifacts: found.map(listed) });
    }
    if (method === 'GetSignedArtifactURL') {
      const artifact = artifacts.find(
        (entry) => entry.name === body.name && entry.run === body.workflow_run_backend_id && entry.blob,
      );
      return artifact
        ? sendJson(res, 200, { name: artifact.name, signed_url: `${base}/blob/download/${artifact.id}.zip?sig=test` })
        : sendJson(res, 404, { code: 'not_found', msg: 'no such artifact' });
    }
    return sendJson(res, 404, { code: 'bad_route', msg: `no method ${method}` });
  }

  // Azure blob storage, as much of it as BlockBlobClient.uploadStream and a download use.
  let match = /^\/blob\/upload\/(\d+)$/.exec(url.pathname);
  if (match && req.method === 'PUT') {
    const artifact = artifacts.find((entry) => entry.id === Number(match[1]));
    if (!artifact) return sendJson(res, 404, {});
    const data = await readRaw(req);
    const headers = {
      'x-ms-request-id': String(Date.now()),
      'x-ms-version': '2025-01-05',
      etag: `"${artifact.id}"`,
      'last-modified': new Date().toUTCString(),
    };
    if (url.searchParams.get('comp') === 'block') {
      artifact.blocks.set(url.searchParams.get('blockid'), data);
      res.writeHead(201, headers);
      return res.end();
    }
    if (url.searchParams.get('comp') === 'blocklist') {
      const ids = [...data.toString('utf8').matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]+)<\//g)].map(
        (entry) => entry[1],
      );
      artifact.blob = Buffer.concat(ids.map((id) => artifact.blocks.get(id) ?? Buffer.alloc(0)));
      res.writeHead(201, headers);
      return res.end();
    }
    artifact.blob = data;
    res.writeHead(201, headers);
    return res.end();
  }
  match = /^\/blob\/download\/(\d+)\.zip$/.exec(url.pathname);
  if (match && req.method === 'GET') {
    const artifact = artifacts.find((entry) => entry.id === Number(match[1]));
    if (!artifact?.blob) return sendJson(res, 404, {});
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': artifact.blob.length });
    return res.end(artifact.blob);
  }
  return sendJson(res, 404, { code: 'not_found', msg: `${req.method} ${url.pathname}` });
});

serveBounded(server, Number(values.ttl));
