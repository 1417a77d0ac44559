/**
 * The moment of approval is where a name impostor wins: a request that calls itself "kitchen-pi" while
 * a different, paired device already has that name is either a reinstall of it or someone else. The
 * CLI will not approve it on a short id alone; the owner compares the verification code and says so.
 */
import { safeLabel, type PairedDeviceInfo, type PendingRequestInfo } from '@tether/protocol';
import { nameKey } from './duplicate-names.js';
import { CliError } from './output.js';

/** Paired devices other than the requester whose name looks like the request's. */
export function pairedWithSameName(request: PendingRequestInfo, paired: readonly PairedDeviceInfo[]): PairedDeviceInfo[] {
  if (request.displayName === undefined || nameKey(request.displayName) === '') return [];
  const key = nameKey(request.displayName);
  return paired.filter((device) => device.deviceId !== request.deviceId && device.displayName !== undefined && nameKey(device.displayName) === key);
}

export function sameNameRefusal(request: PendingRequestInfo, namesakes: readonly PairedDeviceInfo[]): CliError {
  const ids = namesakes.map((device) => device.deviceId.slice(0, 12)).join(', ');
  return new CliError(
    `request ${request.requestId.slice(0, 8)} from device ${request.deviceId.slice(0, 12)} calls itself "${safeLabel(request.displayName)}", ` +
      `the name of paired device ${ids}. Compare its verification code (${safeLabel(request.verificationCode, 16)}) with the one shown on the device itself: ` +
      `if they match and it is a reinstall, approve with --allow-same-name (then \`tether devices remove ${namesakes[0]!.deviceId.slice(0, 12)}\`); ` +
      `if not, refuse it with \`tether devices reject ${request.requestId.slice(0, 8)}\``,
    1,
    'SAME_NAME_AS_PAIRED',
  );
}
