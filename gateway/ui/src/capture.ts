/**
 * Commands that capture people or where they are, as protocol/src/commands/known.ts lists them
 * (CAPTURE_COMMANDS). Copied, not imported: that module pulls every command schema into the page.
 * test/control-ui/capture-list.test.ts keeps the two lists equal.
 */
export const UI_CAPTURE_COMMANDS: ReadonlySet<string> = new Set(['camera.snap', 'camera.clip', 'screen.snapshot', 'screen.record', 'location.get']);
