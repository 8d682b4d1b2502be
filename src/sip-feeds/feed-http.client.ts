import { Injectable } from '@nestjs/common';
import { isErrorLike } from '../common/error-message';

/**
 * The most bytes one answer may carry: about 16 MiB holds MAX_FEED_ENTRIES addresses in any of the formats
 * several times over; a bigger answer is refused, never buffered.
 */
export const MAX_FEED_BODY_BYTES = 16 * 1024 * 1024;
/** A feed that has not answered in full by then counts as unreachable for this pull. */
const FEED_TIMEOUT_MS = 30_000;

export class FeedFetchError extends Error {}

export interface FeedAnswer {
  status: number;
  body: string;
}

/**
 * GETs a feed's URL with a deadline and a size limit, streaming the body so a hostile feed cannot fill the
 * memory. Error messages never carry the URL: APIBan's key is part of its path.
 */
@Injectable()
export class FeedHttpClient {
  /** `cancel` ends the request early (the service is shutting down). */
  async get(url: string, headers: Record<string, string> = {}, cancel?: AbortSignal): Promise<FeedAnswer> {
    const deadline = AbortSignal.timeout(FEED_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { 'user-agent': 'regshield', ...headers },
        signal: cancel === undefined ? deadline : AbortSignal.any([deadline, cancel]),
      });
    } catch (error) {
      throw new FeedFetchError(`unreachable: ${describe(error)}`);
    }
    const declared = Number(response.headers.get('content-length'));
    if (declared > MAX_FEED_BODY_BYTES) {
      await response.body?.cancel();
      throw new FeedFetchError(`answer larger than ${MAX_FEED_BODY_BYTES} bytes`);
    }
    return { status: response.status, body: await readCapped(response) };
  }
}

async function readCapped(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_FEED_BODY_BYTES) {
        await reader.cancel();
        throw new FeedFetchError(`answer larger than ${MAX_FEED_BODY_BYTES} bytes`);
      }
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    if (error instanceof FeedFetchError) throw error;
    throw new FeedFetchError(`answer cut off: ${describe(error)}`);
  }
  return text + decoder.decode();
}

/**
 * fetch's own message is "fetch failed"; the cause says what happened (ECONNREFUSED, a timeout). Read by
 * shape, not `instanceof Error`: an error from another realm (fetch's own under Jest's sandbox) fails that
 * test, and the admin then saw "TypeError: fetch failed" instead of the cause.
 */
function describe(error: unknown): string {
  if (!isErrorLike(error)) return String(error);
  if (error.name === 'TimeoutError') return `no answer within ${FEED_TIMEOUT_MS / 1000} s`;
  if (error.name === 'AbortError') return 'cancelled: the service is shutting down';
  const { cause } = error;
  if (isErrorLike(cause)) return typeof cause.code === 'string' ? cause.code : cause.message;
  return error.message;
}
