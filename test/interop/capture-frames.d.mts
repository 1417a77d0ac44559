import type { WebSocketServer } from 'ws';
export declare function redact(value: unknown, options?: { keepSignatures?: boolean }): unknown;
export declare function startCapture(options: {
  listen?: number;
  upstream: string;
  out: string;
  keepSignatures?: boolean;
  host?: string;
  onListening?: (port: number) => void;
}): WebSocketServer;
