import * as http from 'node:http';
import { AddressInfo } from 'node:net';

export interface FeedAnswer {
  status?: number;
  body: string;
  contentType?: string;
}

/** A request the server received: path with query, and the headers (X-Api-Key checked by the specs). */
export interface FeedRequest {
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface FeedServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** What a GET of this path (query excluded) answers from now on; unknown paths answer 404. */
  answer(path: string, answer: FeedAnswer | ((request: FeedRequest) => FeedAnswer)): void;
  requests: FeedRequest[];
  close(): Promise<void>;
}

/** A real HTTP server on loopback that plays a feed (a plain list, APIBan, a stream) whose content a test changes. */
export async function startFeedServer(): Promise<FeedServer> {
  const answers = new Map<string, FeedAnswer | ((request: FeedRequest) => FeedAnswer)>();
  const requests: FeedRequest[] = [];
  const server = http.createServer((request, response) => {
    const received = { url: request.url ?? '/', headers: request.headers };
    requests.push(received);
    const path = received.url.split('?')[0];
    const found = answers.get(path);
    const answer = typeof found === 'function' ? found(received) : found;
    response.writeHead(answer?.status ?? (answer ? 200 : 404), {
      'content-type': answer?.contentType ?? 'text/plain',
    });
    response.end(answer?.body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    answer: (path, answer) => answers.set(path, answer),
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
