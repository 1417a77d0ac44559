/**
 * Doctor's checks over the network: whether the port is free or held by our gateway, whether the
 * gateway answers, the clock skew against it, and the model endpoint. Every probe has a short deadline.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { DEVICE_SIGNATURE_SKEW_MS } from '@tether/protocol';
import type { Check } from './finding.js';

export interface HttpProbe {
  status: number;
  body: string;
  /** The server's clock from its Date header, when it sent one. */
  dateMs?: number;
  /** Our clock halfway between sending and receiving: the best estimate of "now" at the server's Date. */
  localMidMs: number;
}

export function httpProbe(url: string, timeoutMs: number, headers: Record<string, string> = {}, insecureTls = false): Promise<HttpProbe> {
  const target = new URL(url);
  const make = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const sent = Date.now();
  return new Promise((resolve, reject) => {
    const req = make(target, { method: 'GET', headers, timeout: timeoutMs, ...(insecureTls ? { rejectUnauthorized: false } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 64_000) body += chunk;
      });
      res.on('end', () => {
        const date = res.headers.date ? Date.parse(res.headers.date) : Number.NaN;
        resolve({ status: res.statusCode ?? 0, body, localMidMs: Math.round((sent + Date.now()) / 2), ...(Number.isFinite(date) ? { dateMs: date } : {}) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The http(s) base of a gateway's ws(s) URL. */
export function httpBaseOf(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = '/';
  url.search = '';
  return url.toString();
}

function isOurHealth(body: string): boolean {
  try {
    const value = JSON.parse(body) as { ok?: unknown; status?: unknown };
    return value.ok === true && value.status === 'live';
  } catch {
    return false;
  }
}

function tryListen(host: string, port: number): Promise<'free' | 'busy' | string> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE' ? 'busy' : `${error.code ?? 'error'}: ${error.message}`));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

/**
 * Free, or ours (a Tether gateway answers /healthz there), or a problem: something else holds it.
 * `tls`: the configured gateway serves https, so the probe speaks https (any certificate: this only
 * asks who is listening, it sends no secret).
 */
export async function portCheck(host: string, port: number, tls: boolean, timeoutMs = 3_000): Promise<Check> {
  if (port === 0) return { id: 'port', status: 'ok', message: 'port 0: the gateway picks a free port at start' };
  const listen = await tryListen(host, port);
  if (listen === 'free') return { id: 'port', status: 'ok', message: `${host}:${port} is free for the gateway` };
  if (listen !== 'busy') return { id: 'port', status: 'problem', message: `cannot listen on ${host}:${port}: ${listen}`, fix: 'set gateway.host to an address of this machine (or 127.0.0.1)' };
  const display = host.includes(':') ? `[${host}]` : host;
  const probeHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : display;
  try {
    const answer = await httpProbe(`${tls ? 'https' : 'http'}://${probeHost}:${port}/healthz`, timeoutMs, {}, true);
    if (answer.status === 200 && isOurHealth(answer.body)) return { id: 'port', status: 'ok', message: `${display}:${port} is held by a Tether gateway` };
  } catch {
    // Not HTTP, or not the scheme we expect: something else.
  }
  return {
    id: 'port',
    status: 'problem',
    message: `${display}:${port} is in use by something that is not a Tether gateway`,
    fix: `stop what listens there (ss -ltnp 'sport = :${port}' shows it), or set gateway.port in tether.json / --port to another port`,
  };
}

export interface ReachResult {
  reach: Check;
  skew: Check;
}

export async function reachabilityChecks(wsUrl: string, timeoutMs = 3_000, insecureTls = false): Promise<ReachResult> {
  const url = new URL('healthz', httpBaseOf(wsUrl)).toString();
  let answer: HttpProbe;
  try {
    answer = await httpProbe(url, timeoutMs, {}, insecureTls);
  } catch (error) {
    return {
      reach: { id: 'gateway.reachable', status: 'problem', message: `no gateway answers at ${url}: ${(error as Error).message}`, fix: 'start it: tether gateway run (or tether gateway install for a service)' },
      skew: { id: 'clock.skew', status: 'skipped', message: 'the gateway did not answer, so its clock is unknown' },
    };
  }
  const reach: Check =
    answer.status === 200 && isOurHealth(answer.body)
      ? { id: 'gateway.reachable', status: 'ok', message: `the gateway answers at ${url}` }
      : { id: 'gateway.reachable', status: 'problem', message: `${url} answered ${answer.status}, not a Tether gateway's health`, fix: 'check that the URL points at the gateway, not a proxy or another service' };
  return { reach, skew: skewCheck(answer) };
}

/** Signed connects are refused beyond DEVICE_SIGNATURE_SKEW_MS; warn at half of it. */
export function skewCheck(answer: Pick<HttpProbe, 'dateMs' | 'localMidMs'>): Check {
  if (answer.dateMs === undefined) return { id: 'clock.skew', status: 'skipped', message: 'the gateway sent no Date header' };
  // A Date header has one-second resolution: allow for that before calling anything skew.
  const skew = answer.localMidMs - answer.dateMs;
  const abs = Math.max(0, Math.abs(skew) - 1_000);
  const text = `${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? 'ahead of' : 'behind'} the gateway`;
  if (abs > DEVICE_SIGNATURE_SKEW_MS) return { id: 'clock.skew', status: 'problem', message: `this machine's clock is ${text}: signed connects are refused beyond ${DEVICE_SIGNATURE_SKEW_MS / 1000} s`, fix: 'turn on time sync on both machines (timedatectl set-ntp true)' };
  if (abs > DEVICE_SIGNATURE_SKEW_MS / 2) return { id: 'clock.skew', status: 'warn', message: `this machine's clock is ${text}`, fix: 'turn on time sync on both machines (timedatectl set-ntp true)' };
  return { id: 'clock.skew', status: 'ok', message: `clocks agree within a few seconds` };
}

/** GET <baseUrl>/models: reachable and, if a key is configured, accepted. Never prints the key. */
export async function modelEndpointCheck(baseUrl: string, apiKey: string | undefined, timeoutMs = 3_000): Promise<Check> {
  const url = `${baseUrl.replace(/\/+$/, '')}/models`;
  try {
    const answer = await httpProbe(url, timeoutMs, apiKey ? { Authorization: `Bearer ${apiKey}` } : {});
    if (answer.status === 401 || answer.status === 403) return { id: 'agent.model-endpoint', status: 'problem', message: `${url} refused the API key (${answer.status})`, fix: 'set a valid key in agent.apiKey or OPENAI_API_KEY' };
    if (answer.status >= 200 && answer.status < 300) return { id: 'agent.model-endpoint', status: 'ok', message: `the model endpoint answers at ${url}` };
    // Some servers have no /models; they answered, so they are reachable.
    return { id: 'agent.model-endpoint', status: 'warn', message: `${url} answered ${answer.status}`, fix: 'check agent.baseUrl: it should end in /v1 for most OpenAI-compatible servers' };
  } catch (error) {
    return { id: 'agent.model-endpoint', status: 'problem', message: `the model endpoint ${url} is unreachable: ${(error as Error).message}`, fix: 'start the model server, or fix agent.baseUrl in tether.json' };
  }
}
