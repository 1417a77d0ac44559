import { describe, expect, it } from 'vitest';
import { buttonBlocks, escapeSlackText } from './slack-format.js';
import { buttonPressFromBody, cleanName, messageFromEvent } from './slack-inbound.js';

const base = { type: 'message', channel: 'D0A', channel_type: 'im', user: 'U0A', text: 'hi', ts: '1700000000.000100' };

describe('messageFromEvent', () => {
  it('maps conversation kinds: im → dm, mpim / channel / private channel → group', () => {
    expect(messageFromEvent(base, 'U0BOT')).toMatchObject({ chatKind: 'dm', mentioned: false });
    expect(messageFromEvent({ ...base, channel: 'G0A', channel_type: 'mpim' }, 'U0BOT')).toMatchObject({ chatKind: 'group', mentioned: false });
    expect(messageFromEvent({ ...base, channel: 'G0B', channel_type: 'group', text: '<@U0BOT> yo' }, 'U0BOT')).toMatchObject({ chatKind: 'group', mentioned: true, text: 'yo' });
    // app_mention has no channel_type.
    const { channel_type: _drop, ...noType } = base;
    expect(messageFromEvent({ ...noType, type: 'app_mention', channel: 'C0A' }, 'U0BOT')).toMatchObject({ chatKind: 'group', mentioned: true });
  });

  it('unescapes Slack entities once, keeps other mentions, drops empty and hostile shapes', () => {
    expect(messageFromEvent({ ...base, text: 'a &amp;lt; b &lt;&gt;' }, 'U0BOT')).toMatchObject({ text: 'a &lt; b <>' });
    expect(messageFromEvent({ ...base, text: '   ' }, 'U0BOT')).toEqual({ skip: 'no-text' });
    expect(messageFromEvent(null, 'U0BOT')).toEqual({ skip: 'not-a-message' });
    expect(messageFromEvent({ ...base, type: 'reaction_added' }, 'U0BOT')).toEqual({ skip: 'not-a-message' });
    expect(messageFromEvent({ ...base, user: 'U0A\u202e' }, 'U0BOT')).toEqual({ skip: 'bad-ids' });
    expect(messageFromEvent({ ...base, edited: { user: 'U0A', ts: '1.2' } }, 'U0BOT')).toEqual({ skip: 'subtype' });
    // A bot user id that is not an id cannot turn into a regular expression.
    expect(messageFromEvent({ ...base, channel: 'C0A', channel_type: 'channel', text: 'x <@.*>' }, '.*')).toMatchObject({ mentioned: false, text: 'x <@.*>' });
  });

  it('text longer than Slack ever sends is cut to 40,000 characters', () => {
    const message = messageFromEvent({ ...base, text: 'a'.repeat(1_000_000) }, 'U0BOT');
    expect('text' in message && message.text.length).toBe(40_000);
  });

  it('names lose control and bidi characters and are cut to 64', () => {
    expect(cleanName('Ada\u0000\u001b[31m\u202e\u2066 L')).toBe('Ada[31m L');
    expect(cleanName('x'.repeat(200))).toHaveLength(64);
    expect(cleanName('\u200f\u0007')).toBeUndefined();
    expect(cleanName(42)).toBeUndefined();
  });
});

describe('buttonPressFromBody', () => {
  const press = { type: 'block_actions', user: { id: 'U0A', name: 'ada' }, channel: { id: 'D0A' }, message: { ts: '1.000001' }, actions: [{ type: 'button', action_id: 'tether_button_0', value: 'xa:0123abcd:o' }] };
  it('takes our button presses only', () => {
    expect(buttonPressFromBody(press)).toEqual({ chatId: 'D0A', senderId: 'U0A', senderName: 'ada', data: 'xa:0123abcd:o', messageId: '1.000001' });
    expect(buttonPressFromBody({ ...press, type: 'view_submission' })).toBeUndefined();
    expect(buttonPressFromBody({ ...press, actions: [{ type: 'static_select', action_id: 'tether_button_0', value: 'x' }] })).toBeUndefined();
    expect(buttonPressFromBody({ ...press, actions: [{ type: 'button', action_id: 'tether_button_0' }] })).toBeUndefined();
    expect(buttonPressFromBody({ ...press, user: { id: 'B0BOT' } })).toBeUndefined();
    expect(buttonPressFromBody({ ...press, channel: undefined, container: { channel_id: 'D0B', message_ts: '2.000002' }, message: undefined })).toMatchObject({ chatId: 'D0B', messageId: '2.000002' });
  });
});

describe('slack-format', () => {
  it('escapes the three characters Slack reads as markup', () => {
    expect(escapeSlackText('<!channel> & <https://evil|bank>')).toBe('&lt;!channel&gt; &amp; &lt;https://evil|bank&gt;');
  });
  it('puts text in plain_text sections of at most 3,000 and labels at most 75', () => {
    const blocks = buttonBlocks('a'.repeat(6001), [{ label: 'L'.repeat(100), data: 'd' }]);
    expect(blocks.map((b) => b.type)).toEqual(['section', 'section', 'section', 'actions']);
    expect((blocks[0]!.text as { type: string; text: string }).type).toBe('plain_text');
    const element = (blocks[3]!.elements as { text: { text: string } }[])[0]!;
    expect(element.text.text).toHaveLength(75);
  });
});
