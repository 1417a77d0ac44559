/**
 * Nodes held connected while their pairing request waits for an operator (see `holdsWhilePending`).
 * They never retry, so their request is refreshed here before it would expire. Their number is capped
 * per address and in total (`GatewayContext.heldSockets`), so holding sockets cannot keep unbounded
 * requests alive.
 */
import { CloseCode } from '@tether/protocol';
import type { DeviceClaim } from '@tether/pairing';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';

export const WAITING_REFRESH_MS = 60_000;

interface Waiting {
  claim: DeviceClaim;
  /** Gives the socket's held-socket slot back: once approved (or gone) it no longer waits. */
  releaseSlot: () => void;
}

export class WaitingRoom {
  private readonly waiting = new Map<Connection, Waiting>();

  add(connection: Connection, claim: DeviceClaim, releaseSlot: () => void = () => undefined): void {
    this.waiting.set(connection, { claim, releaseSlot });
  }

  delete(connection: Connection): void {
    this.waiting.get(connection)?.releaseSlot();
    this.waiting.delete(connection);
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Refreshes each waiting node's request; applies approvals and rejections that happened meanwhile. */
  async refresh(gateway: GatewayContext): Promise<void> {
    for (const [connection, { claim }] of this.waiting) {
      if (!connection.isOpen) {
        this.delete(connection);
        continue;
      }
      // issueIfMissing false: a token minted here could never reach the held node.
      const decision = await gateway.store.admit(claim, undefined, { autoApprove: false, issueIfMissing: false });
      if (decision.kind === 'rejected') {
        connection.close(CloseCode.POLICY_VIOLATION, 'pairing rejected');
        this.delete(connection);
      } else if (decision.kind === 'admitted') {
        this.release(gateway, claim.deviceId, decision.device.approvedCommands);
      }
    }
  }

  /** The device was approved: its held sessions gain the approved commands. */
  release(gateway: GatewayContext, deviceId: string, approvedCommands: string[]): void {
    for (const [connection, { claim }] of this.waiting) {
      if (claim.deviceId === deviceId) this.delete(connection);
    }
    const session = gateway.registry.get(deviceId);
    if (session) session.approvedCommands = new Set(approvedCommands);
  }
}
