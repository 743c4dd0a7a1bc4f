import { html, SafeHtml } from './admin-html.js';

describe('html', () => {
  it('escapes what it interpolates, so a payload string cannot become markup', () => {
    const hostile = `"><script>alert('x')</script>&`;
    expect(html`<td title="${hostile}">${hostile}</td>`.value).toBe(
      '<td title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</td>',
    );
  });

  it('keeps nested templates and lists of them as markup, and prints nothing for null, undefined and false', () => {
    const rows = ['a<b', 'c'].map((cell) => html`<li>${cell}</li>`);
    expect(html`<ul>${rows}${null}${undefined}${false}</ul>`.value).toBe('<ul><li>a&lt;b</li><li>c</li></ul>');
    expect(html`${new SafeHtml('<b>')}`.value).toBe('<b>');
  });

  it('prints dates in UTC to the second', () => {
    expect(html`${new Date(Date.UTC(2026, 11, 2, 10, 0, 5, 900))}`.value).toBe('2026-12-02 10:00:05 UTC');
  });
});
