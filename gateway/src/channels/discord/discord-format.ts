/**
 * Outbound text made safe for Discord's markdown. A masked link `[bank.example](https://evil.example)`
 * shows one address and opens another, so outside code spans and blocks (where Discord reads nothing)
 * its brackets are escaped and it shows as written. Link previews are suppressed by the sender
 * (SuppressEmbeds), so a URL the model wrote is never fetched by Discord's crawler either.
 */

/** `text` with `[`, `]` escaped outside ``` blocks and `inline` code. */
export function escapeDiscordLinks(text: string): string {
  // Split into code (kept as is) and prose (escaped): fenced blocks first, then inline spans.
  return text
    .split(/(```[\s\S]*?(?:```|$))/)
    .map((part, index) =>
      index % 2 === 1
        ? part
        : part
            .split(/(`[^`\n]*`)/)
            .map((piece, inner) => (inner % 2 === 1 ? piece : piece.replace(/([[\]])/g, '\\$1')))
            .join(''),
    )
    .join('');
}
