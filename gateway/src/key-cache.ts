/**
 * Parsed device public keys, by their wire form. Building a KeyObject costs about as much as the
 * signature check itself, and the same few devices reconnect again and again.
 */
import type { KeyObject } from 'node:crypto';
import { publicKeyObjectFromRaw } from '@tether/protocol';

const MAX_KEYS = 1024;

export class PublicKeyCache {
  private readonly keys = new Map<string, KeyObject>();

  get(raw: Buffer): KeyObject {
    const id = raw.toString('base64url');
    let key = this.keys.get(id);
    if (key) {
      // Move to the back: Map order is the eviction order.
      this.keys.delete(id);
    } else {
      key = publicKeyObjectFromRaw(raw);
      if (this.keys.size >= MAX_KEYS) this.keys.delete(this.keys.keys().next().value!);
    }
    this.keys.set(id, key);
    return key;
  }
}
