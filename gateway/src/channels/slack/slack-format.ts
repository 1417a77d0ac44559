/**
 * Outbound text made inert for Slack. Slack reads `<…>` in message text as a link or a mention
 * (`<!channel>` pings a whole channel, `<@U…>` a person), so text written by the agent (which reads
 * strangers' words) has &, < and > escaped as Slack's formatting rules ask. Buttons go as Block Kit:
 * the text in plain_text sections (no formatting, no emoji codes) and one actions block of buttons whose
 * `value` is the button's data.
 */
import type { ChannelButton } from '../channel.js';
import { BUTTON_ACTION_PREFIX } from './slack-inbound.js';

/** A section block's text holds at most 3,000 characters. */
const SECTION_TEXT_LIMIT = 3000;
/** A button's label holds at most 75 characters. */
const BUTTON_LABEL_LIMIT = 75;

export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export type SlackBlock = Record<string, unknown>;

/** The text as plain_text sections: shown literally (no mrkdwn, no emoji codes). */
export function textBlocks(text: string): SlackBlock[] {
  const blocks: SlackBlock[] = [];
  for (let start = 0; start < text.length; start += SECTION_TEXT_LIMIT) {
    blocks.push({ type: 'section', text: { type: 'plain_text', text: text.slice(start, start + SECTION_TEXT_LIMIT), emoji: false } });
  }
  return blocks;
}

export function buttonBlocks(text: string, buttons: readonly ChannelButton[]): SlackBlock[] {
  const blocks = textBlocks(text);
  blocks.push({
    type: 'actions',
    elements: buttons.map((button, index) => ({
      type: 'button',
      action_id: `${BUTTON_ACTION_PREFIX}${index}`,
      text: { type: 'plain_text', text: button.label.slice(0, BUTTON_LABEL_LIMIT), emoji: false },
      value: button.data,
    })),
  });
  return blocks;
}
