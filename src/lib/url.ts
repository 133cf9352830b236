// URLs as they may be shown: credentials in the userinfo or the query never reach a log or report.

export function displayUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, '***');
    return url.toString().replace(/\/+$/, '');
  } catch {
    return '(invalid URL)';
  }
}
