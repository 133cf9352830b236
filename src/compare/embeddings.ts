// Semantic similarity of two answers: the cosine of their embeddings from an OpenAI-compatible
// /embeddings endpoint (vLLM, TEI, Ollama's /v1, OpenAI). A failure here costs the similarity
// column, never the run.
import OpenAI from 'openai';
import type { EmbeddingsEndpoint } from '../config/schema.js';
import { shortMessage } from '../endpoint/diagnose.js';
import { redactor, urlSecrets } from '../lib/redact.js';
import { displayUrl } from '../lib/url.js';

const BATCH = 64;
// The client library asks for base64 unless told otherwise; plain floats are what every server speaks.

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    const x = a[index] ?? 0;
    const y = b[index] ?? 0;
    dot += x * y;
    normA += x ** 2;
    normB += y ** 2;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

/** Cosine similarity for each pair of texts, keyed as given; on failure, an empty map and the reason. */
export async function pairSimilarities(
  endpoint: EmbeddingsEndpoint,
  pairs: ReadonlyMap<string, [string, string]>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ byPair: Map<string, number>; error: string | null }> {
  const client = new OpenAI({
    baseURL: endpoint.baseUrl,
    apiKey: endpoint.apiKey ?? 'no-key-given',
    maxRetries: 1,
    timeout: timeoutMs,
  });
  const keys = [...pairs.keys()];
  const texts = keys.flatMap((key) => pairs.get(key) ?? []).map((text) => text || ' ');
  const vectors: number[][] = [];
  try {
    for (let start = 0; start < texts.length; start += BATCH) {
      const response = await client.embeddings.create(
        { model: endpoint.model, input: texts.slice(start, start + BATCH), encoding_format: 'float' },
        { signal },
      );
      const ordered = [...response.data].sort((a, b) => a.index - b.index);
      vectors.push(...ordered.map((entry) => entry.embedding));
    }
  } catch (error) {
    const secret = endpoint.apiKey;
    const message = shortMessage(error);
    return {
      byPair: new Map(),
      error: `no similarity: POST ${displayUrl(endpoint.baseUrl)}/embeddings failed (${redactor([...(secret ? [secret] : []), ...urlSecrets(endpoint.baseUrl)])(message)})`,
    };
  }
  const byPair = new Map<string, number>();
  // An endpoint that returns fewer vectors than inputs leaves those pairs without a similarity.
  keys.forEach((key, index) => {
    const [a, b] = [vectors[2 * index], vectors[2 * index + 1]];
    if (a && b) byPair.set(key, Math.round(cosine(a, b) * 1000) / 1000);
  });
  return { byPair, error: null };
}
