// What every test server does to stay bounded: print its address once listening, and stop after
// its TTL, on SIGTERM/SIGINT, or as soon as its parent closes the stdin pipe. And the two HTTP
// chores they share.
import { fstatSync } from 'node:fs';

export function serveBounded(server, ttlSeconds) {
  server.listen(0, '127.0.0.1', () =>
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`),
  );
  const stop = () => {
    server.closeAllConnections?.();
    server.close();
    process.exit(0);
  };
  setTimeout(stop, ttlSeconds * 1000).unref();
  if (fstatSync(0).isFIFO()) {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

export function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
