// How the OpenClaw peer is configured and started offline, shared by the interop suite and
// bench/compare-openclaw so both run OpenClaw exactly the same way.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Config that keeps OpenClaw off the network: no mDNS, update checks, telemetry or catalog refresh. */
export function offlineConfig(extra = {}) {
  return {
    discovery: { mdns: { mode: 'off' } },
    update: { checkOnStart: false },
    telemetry: { enabled: false },
    models: { catalogRefresh: { enabled: false } },
    ...extra,
  };
}

/** The gateway section for a loopback OpenClaw gateway with token auth and local auto-approval off. */
export function loopbackGatewayConfig(port, token) {
  return {
    gateway: {
      mode: 'local',
      port,
      bind: 'loopback',
      auth: { mode: 'token', token },
      tailscale: { mode: 'off' },
      nodes: { pairing: { autoApproveLocal: false, sshVerify: false } },
    },
  };
}

/** Writes `<stateDir>/openclaw.json` and returns the environment that selects that state dir. */
export function writeOpenclawHome(stateDir, config, node24) {
  const configPath = join(stateDir, 'openclaw.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  return {
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: configPath,
    OPENCLAW_DISABLE_BONJOUR: '1',
    OPENCLAW_NO_AUTO_UPDATE: '1',
    // Node 24 first on PATH: OpenClaw's helpers re-exec `node`.
    PATH: `${dirname(node24)}:${process.env.PATH}`,
    HOME: stateDir,
    NO_COLOR: '1',
  };
}

export function randomHexToken(length = 48) {
  return Array.from({ length }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
}
