/**
 * `tether mcp`: the gateway's device tools for an MCP client that starts a local process (Claude
 * Desktop, editors): MCP over stdio, tools from the gateway's `tools.catalog`, calls through
 * `tools.invoke`. stdout carries nothing but MCP JSON-RPC: logs, warnings and errors go to stderr.
 */
import { Command } from 'commander';
import type { Readable, Writable } from 'node:stream';
import { format } from 'node:util';
import { action } from '../command-kit.js';
import { CLI_VERSION, parseTimeout, withGateway } from '../gateway-target.js';
import { createGatewayToolBackend, DEFAULT_INVOKE_TIMEOUT_MS } from '../mcp-backend.js';
import type { ToolBackend } from '@tether/gateway/mcp';
import { safeText, type GatewayClient } from '@tether/protocol';

/** Largest MCP message read from stdin. */
const MAX_STDIN_MESSAGE_BYTES = 8 * 1024 * 1024;

export interface StdioServeOptions {
  stdin?: Readable;
  stdout?: Writable;
  log?: (message: string) => void;
  /** list_changed debounce. */
  listChangedDebounceMs?: number;
}

/**
 * Serves `backend` as MCP on stdin/stdout until stdin ends, stdout breaks or the client disconnects.
 * The SDK is imported here, on first use, not when the CLI starts.
 */
export async function serveMcpStdio(backend: ToolBackend, options: StdioServeOptions = {}): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const log = options.log ?? logToStderr;
  const [{ createMcpServer }, { StdioServerTransport }] = await Promise.all([import('@tether/gateway/mcp'), import('@modelcontextprotocol/sdk/server/stdio.js')]);
  const server = createMcpServer(
    backend,
    { name: 'tether', version: CLI_VERSION },
    { listChangedDebounceMs: options.listChangedDebounceMs, log: { warn: (m) => log(m), debug: () => undefined } },
  );
  const transport = new StdioServerTransport(stdin, stdout, { maxBufferSize: MAX_STDIN_MESSAGE_BYTES });
  transport.onerror = (error) => log(`stdio: ${error.message}`);
  await new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stdin.off('end', finish);
      stdin.off('close', finish);
      stdout.off('error', onBroken);
      server.close().then(resolve, resolve);
    };
    // A client that went away leaves a broken pipe: that ends the session, it does not crash the CLI.
    const onBroken = (error: Error) => {
      log(`stdout closed: ${error.message}`);
      finish();
    };
    server.onclose = ((previous) => () => {
      previous?.();
      finish();
    })(server.onclose);
    stdin.once('end', finish);
    stdin.once('close', finish);
    stdout.on('error', onBroken);
    server.connect(transport).catch(reject);
  });
}

/** stdout carries MCP JSON-RPC only; everything else is an escaped line on stderr (messages quote the gateway and nodes). */
function logToStderr(message: string): void {
  process.stderr.write(`[tether mcp] ${safeText(message)}\n`);
}

/** Anything that would print to stdout (console.log in a dependency) goes to stderr instead. */
function keepStdoutForMcp(): void {
  const toStderr = (...args: unknown[]) => logToStderr(format(...args));
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.warn = toStderr;
}

export function mcpCommand(): Command {
  return new Command('mcp')
    .description('serve the device tools to an MCP client over stdio (e.g. Claude Desktop: command "tether", args ["mcp"])')
    .option('--url <url>', 'gateway WebSocket URL (default: the local gateway)')
    .option('--token <token>', 'gateway token (default: TETHER_GATEWAY_TOKEN, or the local state dir)')
    .option('--timeout <ms>', 'how long to wait for the gateway, in milliseconds')
    .option('--state-dir <dir>', 'gateway state directory (default: TETHER_STATE_DIR or ~/.tether)')
    .option('--invoke-timeout <ms>', 'deadline for one tool call, including an owner approval', String(DEFAULT_INVOKE_TIMEOUT_MS))
    .action(
      action(async (flags) => {
        keepStdoutForMcp();
        const invokeTimeoutMs = parseTimeout(flags.invokeTimeout as string | undefined, DEFAULT_INVOKE_TIMEOUT_MS);
        const log = logToStderr;
        let gateway: GatewayClient | undefined;
        const backend = createGatewayToolBackend(
          { request: (method, params, options) => (gateway ? gateway.request(method, params, options) : Promise.reject(new Error('not connected to the gateway yet'))) },
          { invokeTimeoutMs, log: { warn: log } },
        );
        let reconnecting = false;
        await withGateway(
          flags,
          ['operator.read', 'operator.write'],
          async (client, target) => {
            gateway = client;
            log(`serving the tools of ${target.url} over stdio`);
            await serveMcpStdio(backend, { log });
          },
          {
            onEvent: (event, payload) => backend.handleEvent(event, payload),
            onHello: () => {
              if (!reconnecting) return;
              reconnecting = false;
              log('reconnected to the gateway');
              backend.toolsMayHaveChanged();
            },
            onDisconnect: (code, reason) => {
              log(`lost the gateway (${code}${reason ? `: ${reason}` : ''}); reconnecting`);
              reconnecting = true;
              // After the client has finished tearing the old connection down: start() keeps reconnecting until close().
              setTimeout(() => gateway?.start(), 0);
            },
          },
        );
      }),
    );
}
