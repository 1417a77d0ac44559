/** A channel's config cannot be used; the message names the key and the fix, never a secret. */
export class ChannelsConfigError extends Error {}
