// What went wrong on the network, in words, for every endpoint kind's preflight and calls.

/** The error codes along an error's cause chain (undici puts the socket's code two levels down). */
function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** The class of a failure the socket reported (refused, reset), or null for anything else. */
export function socketErrorClass(error: unknown): 'connection-refused' | 'connection-reset' | null {
  const codes = causeCodes(error);
  if (codes.includes('ECONNREFUSED')) return 'connection-refused';
  if (codes.some((code) => code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE'))
    return 'connection-reset';
  return null;
}

/** Ollama serves "llava" as "llava:latest"; either spelling names the same model there. */
export function isServedModel(model: string, served: readonly string[]): boolean {
  return served.includes(model) || (!model.includes(':') && served.includes(`${model}:latest`));
}

export const isTlsCode = (code: string) =>
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|EPROTO)/.test(code);

export function shortMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return htmlPageSummary(message) ?? message.replace(/\s+/g, ' ').slice(0, 300);
}

/**
 * An HTML error page (a proxy's or gateway's 502, a login page) said in words, not quoted: the
 * model server answers errors in JSON, so HTML means something in front of it answered.
 */
export function htmlPageSummary(message: string): string | null {
  if (!/<(!doctype\s+)?html[\s>]/i.test(message)) return null;
  const status = /^(\d{3})\b/.exec(message.trim())?.[1];
  const title = /<title[^>]*>([^<]{1,120})<\/title>/i.exec(message)?.[1]?.replace(/\s+/g, ' ').trim();
  return `${status ? `HTTP ${status}: ` : ''}an HTML page${title ? ` titled "${title}"` : ''}, from a proxy or gateway rather than the model server`;
}

/** One sentence for a request that never got an HTTP answer (refused, DNS, TLS, reset), or null. */
export function networkDiagnosis(
  error: unknown,
  where: { who: string; host: string; port: string; url: string },
): string | null {
  const { who, host, port, url } = where;
  const codes = causeCodes(error);
  if (codes.includes('ECONNREFUSED')) {
    return `${who}: nothing is listening at ${host}:${port} (connection refused on GET ${url}). Start the server, or fix the host and port in base-url.`;
  }
  if (codes.some((code) => code === 'ENOTFOUND' || code === 'EAI_AGAIN')) {
    return `${who}: the host "${host}" in base-url could not be resolved (DNS lookup failed for ${url}). Check the host name, or use an address this runner can resolve.`;
  }
  const tlsCode = codes.find(isTlsCode);
  if (tlsCode) {
    return `${who}: the TLS handshake with ${host}:${port} failed (${tlsCode}). Use http:// if the server does not speak TLS, or make the runner trust its certificate (NODE_EXTRA_CA_CERTS).`;
  }
  if (codes.some((code) => code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')) {
    return `${who}: ${host}:${port} closed the connection without answering GET ${url}. Check that this port serves HTTP (not TLS or another protocol) and that no proxy is in the way.`;
  }
  return null;
}

export function hostAndPort(baseUrl: string): { host: string; port: string } {
  const url = new URL(baseUrl);
  return { host: url.hostname, port: url.port || (url.protocol === 'https:' ? '443' : '80') };
}

/**
 * The key guidance for a 401 or 403, the same whether the preflight or a chat call met it: where the
 * key came from, or that none was given, and where the server takes its key.
 */
export function keyDiagnosis(
  target: { name: string; apiKey?: string | undefined; apiKeySource?: string | undefined },
  status: 401 | 403,
  request: string,
): string {
  const who = `Target "${target.name}"`;
  if (status === 403)
    return `${who}: the server refused access (HTTP 403 on ${request})${target.apiKey ? ` with the API key from ${target.apiKeySource}` : ' and no API key was given'}. Use a key that is allowed to list and call models.`;
  return target.apiKey
    ? `${who}: the server rejected the API key from ${target.apiKeySource} (HTTP 401 on ${request}). Pass the key the server was started with (vLLM and llama.cpp: --api-key).`
    : `${who}: the server requires an API key (HTTP 401 on ${request}) and none was given. It was started with an API key (vLLM and llama.cpp: --api-key): put that key in a secret and pass it with api-key or api-key-env.`;
}
