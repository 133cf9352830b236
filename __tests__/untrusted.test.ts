import { describe, expect, it } from '@jest/globals';
import { inlineText, inlineUntrusted } from '../src/report/untrusted.js';

describe('model output in markdown', () => {
  it('cannot inject HTML, links, images, mentions or table cells', () => {
    const hostile = 'hi @org/team <img src=x onerror=alert(1)> [click](http://evil.example) ![x](http://e/x.png) | cell';
    const safe = inlineUntrusted(hostile, 500);
    expect(safe).not.toMatch(/<img|\]\(|@org|(?<!\\)\|/);
    expect(safe).toContain('&lt;img src\\=x onerror\\=alert\\(1\\)&gt;');
    expect(safe).toContain('&#64;org/team');
  });

  it('is one line, capped, and free of control and bidi characters', () => {
    const safe = inlineUntrusted(`line1\nline2\r\n\u202eevil${'x'.repeat(500)}`, 40);
    expect(safe).not.toMatch(/[\n\r\u202e]/);
    expect(safe.endsWith('…')).toBe(true);
    expect(safe.replace(/\\/g, '').length).toBeLessThanOrEqual(41);
  });
});

describe('our sentences quoting server text', () => {
  it('stay readable but cannot inject', () => {
    expect(inlineText('Target "a": GET http://127.0.0.1:8000/v1/models failed: <b>[x](y)</b> @admin | z')).toBe(
      'Target "a": GET http://127.0.0.1:8000/v1/models failed: &lt;b&gt;\\[x\\](y)&lt;/b&gt; &#64;admin \\| z',
    );
  });
});
