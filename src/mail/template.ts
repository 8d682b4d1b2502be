import { MailMessage } from './mail-message';

export const PRODUCT_NAME = 'regshield';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}

/** What a message kind's template gives: plain-text paragraphs (user values unescaped) and one optional link. */
export interface EmailContent {
  subject: string;
  greeting: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  /** Said after the link, e.g. how long it stays valid. */
  closing?: string;
}

/**
 * The text and HTML parts of every e-mail, in one layout: templates give plain strings and never build HTML,
 * so every value they carry (names, addresses) is escaped here, once.
 */
export function renderEmail(
  content: EmailContent,
  message: Pick<MailMessage, 'kind' | 'to'>,
  publicUrl: string,
): MailMessage {
  const footer = `This message was sent by ${PRODUCT_NAME} at ${publicUrl}.`;
  const textParts = [content.greeting, ...content.paragraphs];
  if (content.action) textParts.push(`${content.action.label}:\n${content.action.url}`);
  if (content.closing) textParts.push(content.closing);
  textParts.push(`-- \n${footer}`);

  const paragraph = (text: string) => `<p>${escapeHtml(text)}</p>`;
  const htmlParts = [content.greeting, ...content.paragraphs].map(paragraph);
  if (content.action) {
    const url = escapeHtml(content.action.url);
    htmlParts.push(`<p><a href="${url}">${escapeHtml(content.action.label)}</a></p>`, paragraph(content.action.url));
  }
  if (content.closing) htmlParts.push(paragraph(content.closing));
  htmlParts.push(`<hr><p style="color:#666;font-size:small">${escapeHtml(footer)}</p>`);

  return {
    kind: message.kind,
    to: message.to,
    subject: `[${PRODUCT_NAME}] ${content.subject}`,
    text: `${textParts.join('\n\n')}\n`,
    html:
      '<!DOCTYPE html><html><head><meta charset="utf-8">' +
      `<title>${escapeHtml(content.subject)}</title></head><body>${htmlParts.join('')}</body></html>`,
  };
}

/** A link to one of the web app's pages, carrying a token. */
export function pageLink(publicUrl: string, page: string, token: string): string {
  return `${publicUrl}${page}?token=${encodeURIComponent(token)}`;
}
