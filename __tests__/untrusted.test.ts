import { describe, expect, it } from '@jest/globals';
import { inlineText, inlineUntrusted, terminalText } from '../src/lib/untrusted.js';

describe('model output in markdown', () => {
  it('goes into a code span, where HTML, links, images and mentions are not rendered', () => {
    const hostile = 'hi @org/team <img src=x onerror=alert(1)> [click](http://evil.example) ![x](http://e/x.png)';
    expect(inlineUntrusted(hostile, 500)).toBe(`\`${hostile}\``);
  });

  it('cannot end the code span early or split a table cell', () => {
    expect(inlineUntrusted('a ` b | c', 500)).toBe("`a ' b \\| c`");
  });

  it('is one line, capped, and free of control and bidi characters', () => {
    const safe = inlineUntrusted(`line1\nline2\r\n\u202eevil${'x'.repeat(500)}`, 40);
    expect(safe).toBe(`\`line1 line2 evil${'x'.repeat(24)}…\``);
    expect(inlineUntrusted(' \n ')).toBe('(empty)');
  });
});

describe('our sentences quoting server text', () => {
  it('stay readable but cannot inject', () => {
    const joiner = '\u2060';
    expect(inlineText('Target "a": GET http://127.0.0.1:8000/v1/models failed: <b>[x](y)</b> @admin | z **b**')).toBe(
      `Target "a": GET http${joiner}://127.0.0.1:8000/v1/models failed: &lt;b&gt;\\[x\\](y)&lt;/b&gt; @${joiner}admin \\| z \\*\\*b\\*\\*`,
    );
  });
});

describe('the summary in a terminal', () => {
  it('is plain text: no HTML tags, no markdown escapes, no entities, and still no workflow command', () => {
    const markdown = [
      '<details><summary>Per category</summary>',
      '',
      '| Scenario | Answer |',
      '| --- | --- |',
      '| `a` | `x \\| y` |',
      'Target "m": the server said \\*\\*bold\\*\\* &lt;img src=x&gt; at targets\\[0\\] &amp; more',
      '::error::forged',
      '</details>',
    ].join('\n');
    expect(terminalText(markdown)).toBe(
      [
        'Per category',
        '',
        '| Scenario | Answer |',
        '| --- | --- |',
        '| `a` | `x | y` |',
        'Target "m": the server said **bold** <img src=x> at targets[0] & more',
        ': :error::forged',
        '',
      ].join('\n'),
    );
  });
});
