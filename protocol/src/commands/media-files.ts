/**
 * The file extension for each format a media command may answer with. A saved file's name comes from
 * this table and the command the caller asked for, never from the node's `format` string (a node that
 * answers `format: "/../../.bashrc"` must not choose where bytes land).
 */
export const MEDIA_FILE_EXTENSIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'camera.snap': { jpg: 'jpg' },
  'camera.clip': { mp4: 'mp4' },
  'screen.snapshot': { png: 'png', jpg: 'jpg' },
  'screen.record': { mp4: 'mp4' },
};

/** The extension for `format` in an answer to `command`, or undefined when that pair is not in the table. */
export function mediaFileExtension(command: string, format: unknown): string | undefined {
  const formats = Object.hasOwn(MEDIA_FILE_EXTENSIONS, command) ? MEDIA_FILE_EXTENSIONS[command]! : undefined;
  if (!formats || typeof format !== 'string' || !Object.hasOwn(formats, format)) return undefined;
  return formats[format];
}
