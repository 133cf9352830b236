// Semantic similarity of two answers: the cosine of their embeddings from an OpenAI-compatible
// /embeddings endpoint (vLLM, TEI, Ollama's /v1, OpenAI). A failure here costs the similarity
// column, never the run.
import OpenAI from 'openai';
import type { EmbeddingsEndpoint } from '../config/schema.js';
import { shortMessage } from '../endpoint/diagnose.js';

const BATCH = 64;
// The client library asks for base64 unless told otherwise; plain floats are what every server speaks.

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    dot += a[index]! * b[index]!;
    normA += a[index]! ** 2;
    normB += b[index]! ** 2;
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
  const texts = keys.flatMap((key) => pairs.get(key)!).map((text) => text || ' ');
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
      error: `no similarity: POST ${endpoint.baseUrl}/embeddings failed (${secret ? message.split(secret).join('***') : message})`,
    };
  }
  const byPair = new Map<string, number>();
  keys.forEach((key, index) =>
    byPair.set(key, Math.round(cosine(vectors[2 * index]!, vectors[2 * index + 1]!) * 1000) / 1000),
  );
  return { byPair, error: null };
}
