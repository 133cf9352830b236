// What every test server does to stay bounded: print its address once listening, and stop after
// its TTL, on SIGTERM/SIGINT, or as soon as its parent closes the stdin pipe.
import { fstatSync } from 'node:fs';

export function serveBounded(server, ttlSeconds) {
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`));
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
