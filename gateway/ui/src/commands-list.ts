/** A device's or node's declared commands, the ones that capture people marked. */
import { UI_CAPTURE_COMMANDS } from './capture.js';
import { html } from './html.js';
import { label } from './text.js';

export function Commands(props: { commands: string[] }) {
  if (props.commands.length === 0) return html`<span class="muted">no commands</span>`;
  return html`<ul class="commands">
    ${props.commands.map((command) =>
      UI_CAPTURE_COMMANDS.has(command)
        ? html`<li class="capture" title="captures people or where they are"><code>${label(command, 128)}</code> <span class="capture-mark">capture</span></li>`
        : html`<li><code>${label(command, 128)}</code></li>`,
    )}
  </ul>`;
}
