/** The SSE writer alone: keep-alive comments while a run is quiet, and no timer left once the client is gone. */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { ChatCompletionSse } from './openai-sse.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

it('writes keep-alive comments while idle and stops its timer when the client disconnects', async () => {
  let sse: ChatCompletionSse | undefined;
  let closed!: () => void;
  const responseClosed = new Promise<void>((resolve) => (closed = resolve));
  server = createServer((_q, response) => {
    sse = new ChatCompletionSse(response, { id: 'chatcmpl-x', created: 1, model: 'm' }, 5);
    sse.open();
    response.on('close', () => setImmediate(closed));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const received = await new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/' }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (text.includes(': keep-alive\n\n')) {
          req.destroy();
          resolve(text);
        }
      });
    });
    req.on('error', (error) => (error.message.includes('socket hang up') ? undefined : reject(error)));
    req.end();
  });
  expect(received.startsWith('data: {"id":"chatcmpl-x","object":"chat.completion.chunk"')).toBe(true);
  await responseClosed;
  expect(sse!.writable).toBe(false);
  expect(sse!.keepingAlive).toBe(false);
});
