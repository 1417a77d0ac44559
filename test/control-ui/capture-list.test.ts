import { CAPTURE_COMMANDS } from '@tether/protocol';
import { describe, expect, it } from 'vitest';
import { UI_CAPTURE_COMMANDS } from '../../gateway/ui/src/capture.js';

describe('the Control UI’s list of capture commands', () => {
  it('is the protocol’s list', () => {
    expect([...UI_CAPTURE_COMMANDS].sort()).toEqual([...CAPTURE_COMMANDS].sort());
  });
});
