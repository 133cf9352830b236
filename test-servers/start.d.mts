export function startTestServer(
  programme: Record<string, unknown>,
  options?: { ttlSeconds?: number },
): Promise<{ url: string; stop: () => void }>;
