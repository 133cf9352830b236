// Errors a user can act on. Each carries a kind and a message written for the person reading the
// log; only the shells (main.ts, cli.ts) turn them into exit codes.

export type ErrorKind = 'config' | 'suite' | 'endpoint' | 'baseline' | 'report' | 'cancelled';

export class ModelGateError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = 'ModelGateError';
  }
}

export const configError = (message: string) => new ModelGateError('config', message);
export const suiteError = (message: string) => new ModelGateError('suite', message);
export const baselineError = (message: string) => new ModelGateError('baseline', message);

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
