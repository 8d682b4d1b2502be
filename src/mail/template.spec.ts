import { escapeHtml, pageLink, renderEmail } from './template';

describe('renderEmail', () => {
  const message = renderEmail(
    {
      subject: 'Hello',
      greeting: 'Hello <b>Eve</b> & "friends",',
      paragraphs: ["It's <script>alert(1)</script>"],
      action: { label: 'Open', url: 'https://example.com/reset-password?token=a&b' },
    },
    { kind: 'account_activated', to: 'eve@example.com' },
    'https://example.com',
  );

  it('escapes every user value in the HTML part and leaves the text part as written', () => {
    expect(message.html).toContain('Hello &lt;b&gt;Eve&lt;/b&gt; &amp; &quot;friends&quot;,');
    expect(message.html).toContain('It&#39;s &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(message.html).not.toContain('<script>');
    expect(message.html).toContain('href="https://example.com/reset-password?token=a&amp;b"');
    expect(message.text).toContain('Hello <b>Eve</b> & "friends",');
    expect(message.text).toContain('https://example.com/reset-password?token=a&b');
  });

  it('names the product and the public URL', () => {
    expect(message.subject).toBe('[regshield] Hello');
    expect(message.text).toContain('regshield at https://example.com');
    expect(message.html).toContain('regshield at https://example.com');
  });
});

describe('escapeHtml / pageLink', () => {
  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });

  it('puts the token in the query, URL-encoded', () => {
    expect(pageLink('http://localhost:3000', '/verify-email', 'a+b/c')).toBe(
      'http://localhost:3000/verify-email?token=a%2Bb%2Fc',
    );
  });
});
