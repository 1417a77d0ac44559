/** How this machine names itself on the wire (OpenClaw v4 style: platform + deviceFamily). */
export function wirePlatform(platform: NodeJS.Platform = process.platform): { platform: string; deviceFamily: string } {
  if (platform === 'darwin') return { platform: 'macos', deviceFamily: 'Mac' };
  if (platform === 'win32') return { platform: 'windows', deviceFamily: 'Windows' };
  if (platform === 'linux') return { platform: 'linux', deviceFamily: 'Linux' };
  return { platform, deviceFamily: platform };
}
