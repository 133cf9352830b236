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

/** Deeper than any answer a suite asks for; what is deeper is not taken as JSON (scorers walk it recursively). */
export const MAX_ANSWER_NESTING = 64;

/** True when JSON text nests arrays and objects deeper than `limit`, strings skipped. Written by hand: JSON.parse has no depth limit. */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index += 1;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x5b || char === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === 0x5d || char === 0x7d) depth -= 1;
  }
  return false;
}

export function parseJsonAnswer(answer: string): { ok: true; value: unknown } | { ok: false } {
  if (nestsDeeperThan(answer, MAX_ANSWER_NESTING)) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(answer.trim()) };
  } catch {
    return { ok: false };
  }
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
