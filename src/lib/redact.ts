// Secrets out of text that may quote them: some servers echo the key in their error messages, and a
// URL can carry credentials in its userinfo or its query.

const MIN_SECRET_CHARS = 4;
const ELLIPSIS = /…$/;
/** A secret's start left at the end of a cut text is redacted from this length on: shorter ones give little away, and would catch ordinary words. */
const MIN_CUT_SECRET_CHARS = 8;

/**
 * Replaces every occurrence of a secret with ***, and a secret's start left at the end of a text
 * that was cut short (a server's error body capped at a few hundred characters).
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const active = [...new Set(secrets)].filter((secret) => secret.length >= MIN_SECRET_CHARS);
  return (text) => {
    let result = active.reduce((current, secret) => current.split(secret).join('***'), text);
    for (const secret of active) {
      const body = result.replace(ELLIPSIS, '');
      for (let length = secret.length - 1; length >= MIN_CUT_SECRET_CHARS; length -= 1) {
        if (body.endsWith(secret.slice(0, length))) {
          result = `${body.slice(0, body.length - length)}***${result.slice(body.length)}`;
          break;
        }
      }
    }
    return result;
  };
}

/** What a URL carries that is secret: a password in its userinfo (or a lone user, as a token), its query values. */
export function urlSecrets(raw: string | null | undefined): string[] {
  if (!raw) return [];
  try {
    const url = new URL(raw);
    const userinfo = url.password
      ? [url.password, decodeURIComponent(url.password)]
      : url.username
        ? [url.username]
        : [];
    const query = [...url.searchParams.values()].flatMap((value) => [value, encodeURIComponent(value)]);
    return [...userinfo, ...query].filter((secret) => secret.length >= MIN_SECRET_CHARS);
  } catch {
    return [];
  }
}

/** Every string inside a JSON-like value, redacted (a report, before anything is written from it). */
export function redactDeep<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((entry: unknown) => redactDeep(entry, redact)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, entry]) => [key, redactDeep(entry, redact)]),
    ) as T;
  return value;
}
