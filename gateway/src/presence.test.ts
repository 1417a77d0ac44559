import { describe, expect, it, vi } from 'vitest';
import type { GatewayContext } from './context.js';
import { PRESENCE_COALESCE_MS, PresenceAnnouncer } from './presence.js';

function fakeGateway() {
  const broadcast = vi.fn();
  const gateway = { broadcaster: { presenceVersion: 0, all: () => [], broadcast } } as unknown as GatewayContext;
  return { gateway, broadcast };
}

describe('PresenceAnnouncer', () => {
  it('moves the version at once and broadcasts a burst of changes once', async () => {
    vi.useFakeTimers();
    try {
      const { gateway, broadcast } = fakeGateway();
      const presence = new PresenceAnnouncer(() => gateway);
      for (let i = 0; i < 5; i++) presence.changed();
      expect(gateway.broadcaster.presenceVersion).toBe(5);
      expect(broadcast).not.toHaveBeenCalled();
      vi.advanceTimersByTime(PRESENCE_COALESCE_MS);
      expect(broadcast).toHaveBeenCalledTimes(1);
      expect(broadcast).toHaveBeenCalledWith('presence', { presence: [] }, 'operators', { withStateVersion: true, dropIfSlow: true });
      presence.changed();
      vi.advanceTimersByTime(PRESENCE_COALESCE_MS);
      expect(broadcast).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends nothing after close', () => {
    vi.useFakeTimers();
    try {
      const { gateway, broadcast } = fakeGateway();
      const presence = new PresenceAnnouncer(() => gateway);
      presence.changed();
      presence.close();
      vi.advanceTimersByTime(PRESENCE_COALESCE_MS * 2);
      expect(broadcast).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });
});
