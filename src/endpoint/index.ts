import type { RunSettings, Target } from '../config/schema.js';
import { ollamaEndpoint } from './ollama.js';
import { openaiEndpoint } from './openai.js';
import type { Endpoint } from './types.js';

export function createEndpoint(target: Target, settings: RunSettings): Endpoint {
  switch (target.kind) {
    case 'openai':
      return openaiEndpoint(target, settings);
    case 'ollama':
      return ollamaEndpoint(target, settings);
  }
}
