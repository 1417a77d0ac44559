/** The socket seam: the client logic talks to this, so tests and other runtimes can inject their own. */
import WebSocket from 'ws';
import { MAX_PAYLOAD_BYTES } from '../constants.js';

export interface Transport {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  onOpen(listener: () => void): void;
  onMessage(listener: (text: string) => void): void;
  onClose(listener: (code: number, reason: string) => void): void;
  onError(listener: (error: Error) => void): void;
}

export type TransportFactory = (url: string) => Transport;

export const webSocketTransport: TransportFactory = (url) => {
  const ws = new WebSocket(url, { maxPayload: MAX_PAYLOAD_BYTES, perMessageDeflate: false, handshakeTimeout: 15_000 });
  return {
    send: (text) => ws.send(text),
    close: (code, reason) => {
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(code, reason);
    },
    onOpen: (listener) => ws.on('open', listener),
    onMessage: (listener) => ws.on('message', (data, isBinary) => {
      if (!isBinary) listener(data.toString());
    }),
    onClose: (listener) => ws.on('close', (code, reason) => listener(code, reason.toString())),
    onError: (listener) => ws.on('error', listener),
  };
};
