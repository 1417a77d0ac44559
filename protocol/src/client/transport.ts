/** The socket seam: the client logic talks to this, so tests and other runtimes can inject their own. */
import type { ClientRequestArgs } from 'node:http';
import type tls from 'node:tls';
import WebSocket from 'ws';
import { MAX_PAYLOAD_BYTES } from '../constants.js';
import { connectPinned, type TlsPin } from './tls-pin.js';

export interface Transport {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  onOpen(listener: () => void): void;
  onMessage(listener: (text: string) => void): void;
  onClose(listener: (code: number, reason: string) => void): void;
  onError(listener: (error: Error) => void): void;
}

export type TransportFactory = (url: string) => Transport;

export interface WebSocketTransportOptions {
  /** For `wss://`: the only certificate accepted; a different one fails the TLS handshake. */
  tlsPin?: TlsPin;
}

export function createWebSocketTransport(options: WebSocketTransportOptions = {}): TransportFactory {
  return (url) => {
    const pin = options.tlsPin;
    if (pin && !url.startsWith('wss:')) throw new Error(`a TLS pin needs a wss:// URL, got ${url}`);
    const ws = new WebSocket(url, {
      maxPayload: MAX_PAYLOAD_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: 15_000,
      ...(pin
        ? { createConnection: (connectOptions: ClientRequestArgs) => connectPinned(connectOptions as tls.ConnectionOptions, pin, new URL(url).host) }
        : {}),
    });
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
}

export const webSocketTransport: TransportFactory = createWebSocketTransport();
