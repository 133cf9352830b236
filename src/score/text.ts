// Text normalization shared by the scorers: answers are matched case-, accent- and
// spacing-insensitively, because a model that writes "S/4 HANA" for "S/4HANA" read it right.

/** Lower case without accents, so "Durée", "duree" and "DUREE" all match. */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase();
}

/** Folded, with everything but letters and digits removed: "SAP S/4HANA" and "sap s4 hana" are one key. */
export const compactKey = (text: string) => foldText(text).replace(/[^\p{L}\p{N}]+/gu, '');

/** The distinct folded words of a text (runs of letters and digits). */
export function wordSet(text: string): Set<string> {
  return new Set(foldText(text).match(/[\p{L}\p{N}]+/gu) ?? []);
}

export function parseJsonAnswer(answer: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(answer.trim()) };
  } catch {
    return { ok: false };
  }
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
