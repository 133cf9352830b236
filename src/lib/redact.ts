// Secrets out of text that may quote them: some servers echo the key in their error messages.

/** Replaces every occurrence of a secret with ***. */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const active = secrets.filter((secret) => secret.length >= 4);
  return (text) => active.reduce((result, secret) => result.split(secret).join('***'), text);
}
