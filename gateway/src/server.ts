/**
 * `startGateway(options) → Gateway`: one port for HTTP and WebSocket, the pairing store, the node
 * registry, ticks, and an orderly `close()` (shutdown event, 1012, pending invokes failed, state flushed).
 */
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { CloseCode, DetailCode, ErrorCode, GatewayError, MAX_PAYLOAD_BYTES } from '@tether/protocol';
import { loadOrCreateIdentity, PairingStore } from '@tether/pairing';
import { Broadcaster } from './broadcast.js';
import { isLoopbackHost, normalizeOrigin, resolveGatewayConfigWithFiles, type GatewayOverrides } from './config.js';
import { ConfigReloader } from './config/reload.js';
import { closeMcpHttp } from './mcp/mcp-http.js';
import { startDiscovery } from './discovery/advertiser.js';
import { isSharedToken } from './secrets.js';
import type { GatewayContext } from './context.js';
import { handleHttp } from './http/router.js';
import { badRequestBytes, bearer, fail } from './http/respond.js';
import { ConnectionBudget, HELD_LIMITS, PREAUTH_LIMITS } from './connection-budget.js';
import { Heartbeat } from './heartbeat.js';
import { ReadinessCheck } from './readiness.js';
import { handleUpgrade } from './upgrade.js';
import { MediaStore } from './media/media-store.js';
import { PresenceAnnouncer } from './presence.js';
import { PublicKeyCache } from './key-cache.js';
import { childLogger, GatewayLog, type Logger } from './log.js';
import { registerSecret, registerSecretsIn } from './log/redact.js';
import { attachMetrics, GatewayMetrics } from './metrics/gateway-metrics.js';
import { certificateHosts, loadOrCreateCertificate, type GatewayCertificate } from './tls/certificate.js';
import { formatFingerprint } from '@tether/protocol';
import { MethodRegistry } from './method-registry.js';
import { deviceMethods } from './methods/device.js';
import { execApprovalMethods } from './methods/exec-approvals.js';
import { ExecApprovalRegistry } from './exec-approvals/registry.js';
import { gatewayMethods } from './methods/gateway.js';
import { nodeMethods } from './methods/node.js';
import { nodePairMethods } from './methods/node-pair.js';
import { IdempotencyCache } from './nodes/idempotency.js';
import { NodeRegistry, type InvokeSuccess } from './nodes/registry.js';
import { WAITING_REFRESH_MS, WaitingRoom } from './nodes/waiting-room.js';
import { handleSocket } from './socket-handler.js';
import { acquireGatewayLock, loadOrCreateSharedToken, removeRuntimeInfo, writeRuntimeInfo } from './state-dir.js';
import { TETHER_VERSION } from './version.js';
import { EmbeddedAgent } from './agent/agent-service.js';
import { AgentEventRelay } from './agent/chat-events.js';
import { MeshTools } from './agent/mesh-tools.js';
import { createConfiguredModel } from './agent/model/configured-model.js';
import { SessionStore } from './agent/sessions/session-store.js';
import { agentMethods } from './methods/agent.js';
import { channelMethods } from './methods/channels.js';
import { ChannelPairing } from './channels/pairing-codes.js';
import { startChannels, type RunningChannels } from './channels/start-channels.js';
import { listNodes } from './methods/node.js';
import { logMethods } from './methods/logs.js';

export interface StartGatewayOptions {
  stateDir: string;
  overrides?: GatewayOverrides;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}

export interface Gateway {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly stateDir: string;
  /** SHA-256 of the TLS certificate DER (64 lowercase hex) when serving wss. */
  readonly tlsFingerprint: string | undefined;
  readonly context: GatewayContext;
  close(reason?: string): Promise<void>;
}

export async function startGateway(options: StartGatewayOptions): Promise<Gateway> {
  const { config, files: configFiles } = resolveGatewayConfigWithFiles(options.stateDir, options.overrides, options.env);
  // Kept for `status` (invoke rate, recent errors): the logger's warnings and errors, every finished invoke.
  const metrics = new GatewayMetrics();
  // JSON lines in <stateDir>/logs and the usual stderr lines; an embedder's own logger is used as given.
  const gatewayLog = options.log ? undefined : new GatewayLog({ stateDir: config.stateDir, env: options.env ?? process.env, onRecord: (r) => (r.level === 'warn' || r.level === 'error') && metrics.errors.record(r.level, r.msg) });
  const log = options.log ? metrics.watchLogger(options.log) : gatewayLog!.logger;
  // The config's levels (logging.level, logging.subsystems); TETHER_LOG_LEVEL wins for what it names.
  gatewayLog?.setLevels(config.logging);
  registerSecretsIn(config);
  const releaseLock = acquireGatewayLock(config.stateDir);
  let store: PairingStore | undefined;
  try {
    const sharedToken = config.authMode === 'token' ? (config.token ?? loadOrCreateSharedToken(config.stateDir)) : undefined;
    registerSecret(sharedToken);
    const identity = loadOrCreateIdentity({ dir: join(config.stateDir, 'identity') });
    const certificate: GatewayCertificate | undefined = config.tls.enabled
      ? await loadOrCreateCertificate({ stateDir: config.stateDir, certPath: config.tls.certPath, keyPath: config.tls.keyPath, hosts: certificateHosts(config.host) })
      : undefined;
    store = await PairingStore.open({ stateDir: config.stateDir });
    // Media is a hand-off between a node and an operator, not storage: start and end empty.
    const media = new MediaStore({ dir: join(config.stateDir, 'media') });
    await media.clear();
    const methods = new MethodRegistry();
    methods.register([...gatewayMethods, ...nodeMethods, ...nodePairMethods, ...deviceMethods, ...execApprovalMethods, ...agentMethods, ...channelMethods, ...logMethods]);
    const broadcaster = new Broadcaster();
    const agentDir = join(config.stateDir, 'agents', 'main');
    const agentSessions = await SessionStore.open({ stateDir: config.stateDir, log: childLogger(log, 'agent') });
    const tools = new MeshTools(() => context, config.agent, join(agentDir, 'media'));
    const agent = new EmbeddedAgent({ config: config.agent, configPath: config.configPath, sessions: agentSessions, tools, model: createConfiguredModel(config.agent), log: childLogger(log, 'agent') });
    const agentEvents = new AgentEventRelay(broadcaster);
    const channelPairing = new ChannelPairing(config.stateDir);
    let runningChannels: RunningChannels | undefined;
    agent.subscribe((event) => agentEvents.handle(event));
    const context: GatewayContext = {
      config,
      version: TETHER_VERSION,
      startedAtMs: Date.now(),
      sharedToken,
      listen: { host: config.host, port: config.port },
      tlsFingerprint: certificate?.fingerprint,
      store,
      registry: metrics.countInvokes(new NodeRegistry()),
      execApprovals: new ExecApprovalRegistry({ broadcaster, log: childLogger(log, 'approvals') }),
      media,
      publicKeys: new PublicKeyCache(),
      waitingRoom: new WaitingRoom(),
      broadcaster,
      presence: new PresenceAnnouncer(() => context),
      identity,
      invokeCache: new IdempotencyCache<InvokeSuccess>(),
      readiness: new ReadinessCheck(store),
      heldSockets: new ConnectionBudget(HELD_LIMITS),
      agent,
      agentSessions,
      tools,
      channels: { pairing: channelPairing, list: () => runningChannels?.list() ?? [], webhook: (name) => runningChannels?.webhook(name) },
      mcp: {
        backend: tools,
        authorize: (request) => isSharedToken(context, bearer(request)),
        // A page may reach /mcp only from an origin the owner allowed, like the WebSocket.
        originAllowed: (origin) => context.config.allowedOrigins.includes(normalizeOrigin(origin)),
        log: childLogger(log, 'mcp'),
        serverInfo: { name: 'tether', version: TETHER_VERSION },
      },
      log,
      methodNames: () => methods.names(),
      connectionsOf: (deviceId) => [...broadcaster.all()].filter((c) => c.session?.deviceId === deviceId),
      disconnectDevice: (deviceId, code, reason, role) => {
        let closed = 0;
        for (const connection of context.connectionsOf(deviceId)) {
          if (role && connection.session?.role !== role) continue;
          connection.close(code, reason);
          closed++;
        }
        return closed;
      },
    };
    attachMetrics(context, metrics);
    const configReloader = new ConfigReloader({
      stateDir: config.stateDir,
      ...(options.overrides ? { overrides: options.overrides } : {}),
      ...(options.env ? { env: options.env } : {}),
      files: configFiles,
      getConfig: () => context.config,
      setConfig: (next) => {
        context.config = next;
        gatewayLog?.setLevels(next.logging);
      },
      log,
      emit: (event) => broadcaster.broadcast('config', event, { scope: 'operator.read' }),
    });
    context.configState = () => configReloader.status();

    // MCP clients and other tool hosts re-read the tool list when nodes come and go.
    context.presence.onChanged(() => broadcaster.broadcast('tools.changed', {}, { scope: 'operator.read' }));

    // The router answers a request without Host itself (nothing here depends on it), so every error a
    // client can cause has the one JSON shape; so does an Expect the gateway does not support.
    const onRequest = (request: Parameters<typeof handleHttp>[1], response: Parameters<typeof handleHttp>[2]) => handleHttp(context, request, response);
    // One port either way: with TLS the same router and upgrade handler sit behind https.
    const server = certificate
      ? createTlsServer({ requireHostHeader: false, cert: certificate.certPem, key: certificate.keyPem, minVersion: 'TLSv1.2' }, onRequest)
      : createServer({ requireHostHeader: false }, onRequest);
    server.on('checkExpectation', (request, response) => {
      request.resume();
      fail(response, 417, 'EXPECTATION_FAILED', 'the only Expect this gateway honours is 100-continue; send the request without it');
    });
    // Bytes Node's parser cannot read never reach a handler: answer them in the same JSON shape.
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
      socket.end(badRequestBytes(`malformed HTTP request (${error.code ?? 'parse error'}); send a valid HTTP/1.1 request`));
    });
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD_BYTES, perMessageDeflate: false });
    const heartbeat = new Heartbeat();
    const preAuth = new ConnectionBudget(PREAUTH_LIMITS, { evictOldest: true });
    server.on('upgrade', (request, socket, head) =>
      handleUpgrade({ gateway: context, wss, preAuth, accept: (ws, req, releasePreAuth) => {
        heartbeat.watch(ws);
        handleSocket(context, methods, ws, req, releasePreAuth);
      } }, request, socket, head),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    await context.readiness.refresh();
    context.listen = { host: config.host, port };
    const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `${certificate ? 'wss' : 'ws'}://${urlHost}:${port}`;
    await writeRuntimeInfo(config.stateDir, {
      pid: process.pid,
      url,
      host: config.host,
      port,
      startedAtMs: context.startedAtMs,
      version: TETHER_VERSION,
      ...(certificate ? { tlsFingerprint: certificate.fingerprint, tlsCertPem: certificate.certPem } : {}),
    });
    if (certificate) {
      log.info(`TLS certificate ${certificate.created ? 'created' : 'loaded'} (${certificate.certPath}); SHA-256 fingerprint: ${formatFingerprint(certificate.fingerprint)}`);
    } else if (!isLoopbackHost(config.host)) {
      log.warn(`serving plain ws:// beyond loopback on ${config.host} (gateway.tls.enabled is false): anyone on the network can read and change the traffic`);
    }
    if (!isLoopbackHost(config.host)) log.warn(`listening beyond loopback on ${config.host}; clients need the token or a paired device`);
    // Chat channels: loaded only when configured; a channel's failure shows in its status, never as a crash.
    runningChannels = startChannels({
      config: config.channels,
      agent,
      pairing: channelPairing,
      approvals: context.execApprovals,
      log: childLogger(log, 'channels'),
      stateDir: config.stateDir,
      statusText: () => {
        const nodes = listNodes(context).filter((node) => node.paired);
        return `${nodes.filter((node) => node.connected).length} of ${nodes.length} nodes connected: ${nodes.map((node) => `${node.displayName ?? node.nodeId.slice(0, 12)} ${node.connected ? 'online' : 'offline'}`).join(', ') || 'none paired yet'}`;
      },
      resetSession: (key) => agentSessions.reset(key),
    });
    // Supervised: it never throws, and its failures show in health and status, not as a crash.
    context.discovery = startDiscovery({
      port,
      host: config.host,
      mode: config.discovery.mdns,
      ...(config.discovery.name ? { name: config.discovery.name } : {}),
      ...(config.discovery.interface ? { interface: config.discovery.interface } : {}),
      ...(certificate ? { tls: { fingerprint: certificate.fingerprint } } : {}),
      log: childLogger(log, 'discovery'),
    });

    const tick = setInterval(() => {
      broadcaster.broadcast('tick', { ts: Date.now() }, 'all', { dropIfSlow: true });
      const cut = heartbeat.beat(wss.clients);
      if (cut > 0) log.info(`closed ${cut} connection(s) that missed two pings`);
    }, config.tickIntervalMs);
    tick.unref();
    const refreshWaiting = setInterval(() => {
      context.waitingRoom.refresh(context).catch((error: Error) => log.warn(`refreshing waiting nodes failed: ${error.message}`));
    }, WAITING_REFRESH_MS);
    refreshWaiting.unref();
    const sweepMedia = setInterval(() => void media.sweep().catch(() => undefined), 60_000);
    sweepMedia.unref();
    configReloader.start();

    let closing: Promise<void> | undefined;
    const close = (reason = 'gateway stopping'): Promise<void> => {
      closing ??= (async () => {
        clearInterval(tick);
        clearInterval(refreshWaiting);
        clearInterval(sweepMedia);
        configReloader.close();
        // Goodbyes first, so the LAN forgets this gateway before its sockets close.
        await context.discovery?.close();
        await runningChannels?.close();
        // Runs end first (their transcripts say so), while their nodes can still answer.
        await agent.close();
        agentEvents.close();
        context.execApprovals.close();
        context.presence.close();
        broadcaster.broadcast('shutdown', { reason });
        context.registry.failAll(
          new GatewayError({ code: ErrorCode.UNAVAILABLE, message: `gateway shutting down (${reason})`, details: { code: DetailCode.SHUTTING_DOWN }, retryable: true }),
        );
        // Let the failed invokes' answers reach their callers before the sockets close.
        await new Promise((resolve) => setImmediate(resolve));
        for (const connection of broadcaster.all()) connection.close(CloseCode.SERVICE_RESTART, 'service restart');
        // Sockets still in their handshake get the same close; give peers a moment to answer, then cut.
        for (const ws of wss.clients) if (ws.readyState === ws.OPEN) ws.close(CloseCode.SERVICE_RESTART, 'service restart');
        await waitForSocketsToClose(wss, 500);
        for (const ws of wss.clients) ws.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await closeMcpHttp(context.mcp);
        server.closeAllConnections?.();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await store?.close();
        await media.clear();
        removeRuntimeInfo(config.stateDir);
        releaseLock();
        gatewayLog?.close();
      })();
      return closing;
    };

    return { url, host: config.host, port, stateDir: config.stateDir, tlsFingerprint: certificate?.fingerprint, context, close };
  } catch (error) {
    await store?.close().catch(() => undefined);
    releaseLock();
    gatewayLog?.close();
    throw error;
  }
}

function waitForSocketsToClose(wss: WebSocketServer, timeoutMs: number): Promise<void> {
  const open = [...wss.clients].filter((ws) => ws.readyState !== ws.CLOSED);
  if (open.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    let remaining = open.length;
    for (const ws of open) {
      ws.once('close', () => {
        if (--remaining === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
}
