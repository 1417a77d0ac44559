/**
 * The OpenAI-compatible endpoint end to end: a real gateway process whose agent talks to the
 * scripted model, driven by the real `openai` npm client over the gateway's port. Streamed and not,
 * the SDK's stream helper (which throws when a stream ends without finish_reason), a device tool on
 * a scripted node, an image reaching a vision model, usage, auth, client tools, and sessions.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedToken } from '../helpers/clients.js';
import { cleanup, stop, type GatewayProcess } from '../helpers/processes.js';
import { reply, startScriptedModel, type ScriptedModel } from '../helpers/scripted-model.js';
import { sent, startAgentGateway } from './agent-helpers.js';
import { httpBase, redJpeg, scriptedNode } from './e2e-helpers.js';

afterAll(cleanup);

const USAGE = { prompt_tokens: 21, completion_tokens: 5, total_tokens: 26 };

describe('POST /v1/chat/completions and GET /v1/models with the openai client', () => {
  let model: ScriptedModel;
  let gateway: GatewayProcess;
  let client: OpenAI;

  beforeAll(async () => {
    model = await startScriptedModel({ family: 'openai' });
    gateway = await startAgentGateway(model, { profile: { vision: true } });
    client = new OpenAI({ baseURL: `${httpBase(gateway)}/v1`, apiKey: sharedToken(gateway.stateDir), maxRetries: 0, timeout: 60_000 });
  }, 30_000);
  afterAll(async () => {
    await model?.close();
  });

  /** The last user message the model was sent in its request `index`. */
  const lastUser = (index: number) => sent(model, index).filter((m) => m.role === 'user').at(-1);

  it('lists tether and the configured model', async () => {
    const ids: string[] = [];
    for await (const entry of client.models.list()) ids.push(entry.id);
    expect(ids).toEqual(['tether', 'scripted-model']);
  });

  it('answers a non-streamed request with the model\'s text, finish_reason stop and the usage', async () => {
    model.script(reply.text('The mesh is quiet.', { usage: USAGE }));
    const before = model.requests.length;
    const completion = await client.chat.completions.create({ model: 'tether', messages: [{ role: 'user', content: 'how is the mesh?' }] });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe('tether');
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'The mesh is quiet.' });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject(USAGE);
    expect(model.requests.length).toBe(before + 1);
    expect(lastUser(before).content).toContain('how is the mesh?');
  }, 60_000);

  it('streams chunks that add up to the text, end with finish_reason, then the usage chunk', async () => {
    model.script(reply.text('one two three four', { usage: USAGE }));
    const stream = await client.chat.completions.create({
      model: 'tether',
      messages: [{ role: 'user', content: 'count to four' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const finishes: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      expect(chunk.object).toBe('chat.completion.chunk');
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        if (choice.finish_reason) finishes.push(choice.finish_reason);
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('one two three four');
    expect(finishes).toEqual(['stop']);
    expect(usage).toMatchObject(USAGE);
    expect(chunks).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it("satisfies the SDK's stream helper: finalChatCompletion() resolves with the whole message", async () => {
    model.script(reply.text('Helper stream works.'));
    const stream = client.chat.completions.stream({ model: 'tether', messages: [{ role: 'user', content: 'stream with the helper' }] });
    const deltas: string[] = [];
    stream.on('content', (delta) => deltas.push(delta));
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe('stop');
    expect(final.choices[0]!.message.content).toBe('Helper stream works.');
    expect(deltas.join('')).toBe('Helper stream works.');
  }, 60_000);

  it('ends the stream with finish_reason even when the upstream model sends none, across a tool call', async () => {
    const cam = await scriptedNode(gateway, 'desk', ['location.get'], () => ({
      payload: { lat: 1, lon: 2, accuracyMeters: 3, timestamp: '2025-01-01T00:00:00.000Z', isPrecise: false, source: 'network' },
    }));
    try {
      model.script(reply.toolCalls([{ name: 'location_get', arguments: { node: 'desk' } }], { finishReason: null }), reply.text('Desk located.', { finishReason: null }));
      const stream = client.chat.completions.stream({ model: 'tether', messages: [{ role: 'user', content: 'where is the desk?' }], stream_options: { include_usage: true } });
      const final = await stream.finalChatCompletion();
      expect(final.choices[0]!.finish_reason).toBe('stop');
      expect(final.choices[0]!.message.content).toBe('Desk located.');
      // The client never sees the gateway's own tool calls: they ran on the node.
      expect(final.choices[0]!.message.tool_calls ?? []).toEqual([]);
      expect(cam.invoked.map((i) => i.command)).toEqual(['location.get']);
      expect(final.usage?.total_tokens).toBeGreaterThan(0);
    } finally {
      await cam.leave();
    }
  }, 60_000);

  it('runs a device tool on a scripted node and answers with what the model said after it', async () => {
    const pi = await scriptedNode(gateway, 'pi', ['location.get'], () => ({
      payload: { lat: 48.8566, lon: 2.3522, accuracyMeters: 12, timestamp: '2025-01-01T00:00:00.000Z', isPrecise: true, source: 'gps' },
    }));
    try {
      model.script(reply.toolCalls([{ name: 'location_get', arguments: { node: 'pi' } }]), reply.text('The pi is in Paris.'));
      const before = model.requests.length;
      const completion = await client.chat.completions.create({ model: 'tether', messages: [{ role: 'user', content: 'where is the pi?' }] });
      expect(completion.choices[0]!.message.content).toBe('The pi is in Paris.');
      expect(completion.choices[0]!.finish_reason).toBe('stop');
      expect(pi.invoked.map((i) => i.command)).toEqual(['location.get']);
      // The first model request offered the tool with the node; the second carried the node's result.
      const offered = model.requests[before]!.body.tools.find((t: any) => t.function.name === 'location_get');
      expect(offered.function.parameters.properties.node.enum).toEqual(['pi']);
      const tool = sent(model, before + 1).find((m) => m.role === 'tool');
      expect(tool.content).toContain('Result of location.get on node "pi"');
      expect(tool.content).toContain('48.8566');
    } finally {
      await pi.leave();
    }
  }, 60_000);

  it('streams the same text a non-streamed request answers when the model talks before and after a tool call', async () => {
    const pi = await scriptedNode(gateway, 'shed', ['location.get'], () => ({
      payload: { lat: 10, lon: 20, accuracyMeters: 5, timestamp: '2025-01-01T00:00:00.000Z', isPrecise: true, source: 'gps' },
    }));
    try {
      const script = () => model.script(reply.toolCalls([{ name: 'location_get', arguments: { node: 'shed' } }], { text: 'Let me look.' }), reply.text('The shed is at 10, 20.'));
      script();
      const plain = await client.chat.completions.create({ model: 'tether', messages: [{ role: 'user', content: 'where is the shed?' }] });
      script();
      const stream = await client.chat.completions.create({ model: 'tether', messages: [{ role: 'user', content: 'where is the shed?' }], stream: true });
      let streamed = '';
      const finishes: string[] = [];
      for await (const chunk of stream) {
        streamed += chunk.choices[0]?.delta.content ?? '';
        if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
      }
      expect(plain.choices[0]!.message.content).toContain('The shed is at 10, 20.');
      expect(streamed).toContain('The shed is at 10, 20.');
      expect(finishes).toEqual(['stop']);
      expect(streamed).toBe(plain.choices[0]!.message.content);
    } finally {
      await pi.leave();
    }
  }, 60_000);

  it('continues the session of a safe `user` field, and refuses an http image URL with 400', async () => {
    model.script(reply.text('Hello Ada.'), reply.text('Still you, Ada.'));
    const first = await client.chat.completions.create({ model: 'tether', user: 'ada', messages: [{ role: 'user', content: 'I am Ada' }] }).withResponse();
    expect(first.response.headers.get('x-tether-session-key')).toBe('agent:main:openai-user:ada');
    const before = model.requests.length;
    await client.chat.completions.create({ model: 'tether', user: 'ada', messages: [{ role: 'user', content: 'who am I?' }] });
    expect(JSON.stringify(sent(model, before))).toContain('I am Ada');

    const refused = await client.chat.completions
      .create({ model: 'tether', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://169.254.169.254/latest/meta-data' } }] }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('image_url_not_supported');
  }, 60_000);

  it('passes an image_url data URL through to a vision model as an image part', async () => {
    const jpeg = await redJpeg();
    model.script(reply.text('A red rectangle.'));
    const before = model.requests.length;
    const completion = await client.chat.completions.create({
      model: 'tether',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is in this picture?' },
            { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${jpeg.toString('base64')}` } },
          ],
        },
      ],
    });
    expect(completion.choices[0]!.message.content).toBe('A red rectangle.');
    const user = lastUser(before);
    expect(Array.isArray(user.content)).toBe(true);
    const texts = user.content.filter((p: any) => p.type === 'text').map((p: any) => p.text).join('\n');
    expect(texts).toContain('what is in this picture?');
    const images = user.content.filter((p: any) => p.type === 'image_url');
    expect(images).toHaveLength(1);
    const url: string = images[0].image_url.url;
    expect(url).toMatch(/^data:image\/(jpeg|png|webp);base64,/);
    // The picture that reached the model decodes and is the 64×48 the client sent.
    const { default: sharp } = await import('sharp');
    const meta = await sharp(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64')).metadata();
    expect([meta.width, meta.height]).toEqual([64, 48]);
  }, 60_000);

  it('continues a session named by x-tether-session-key: the second request carries the first exchange', async () => {
    const headers = { 'x-tether-session-key': 'agent:main:openai-e2e-continued' };
    model.script(reply.text('Noted: the password is swordfish.'), reply.text('You told me swordfish.'));
    const first = await client.chat.completions
      .create({ model: 'tether', messages: [{ role: 'user', content: 'remember the word swordfish' }] }, { headers })
      .withResponse();
    expect(first.response.headers.get('x-tether-session-key')).toBe('agent:main:openai-e2e-continued');
    const before = model.requests.length;
    const second = await client.chat.completions.create({ model: 'tether', messages: [{ role: 'user', content: 'which word did I say?' }] }, { headers });
    expect(second.choices[0]!.message.content).toBe('You told me swordfish.');
    const messages = sent(model, before);
    const texts = messages.map((m) => ({ role: m.role, text: typeof m.content === 'string' ? m.content : JSON.stringify(m.content) }));
    const firstUser = texts.findIndex((m) => m.role === 'user' && m.text.includes('remember the word swordfish'));
    const firstAnswer = texts.findIndex((m) => m.role === 'assistant' && m.text.includes('Noted: the password is swordfish.'));
    const secondUser = texts.findIndex((m) => m.role === 'user' && m.text.includes('which word did I say?'));
    expect(firstUser).toBeGreaterThanOrEqual(0);
    expect(firstAnswer).toBeGreaterThan(firstUser);
    expect(secondUser).toBeGreaterThan(firstAnswer);
  }, 60_000);

  it('runs two simultaneous requests on one session one after the other, the second seeing the first', async () => {
    const headers = { 'x-tether-session-key': 'agent:main:openai-e2e-parallel' };
    model.script(reply.text('Answer A.'), reply.text('Answer B.'));
    const before = model.requests.length;
    const [x, y] = await Promise.all([
      client.chat.completions.create({ model: 'tether', messages: [{ role: 'user', content: 'parallel question x' }] }, { headers }),
      client.chat.completions.create({ model: 'tether', messages: [{ role: 'user', content: 'parallel question y' }] }, { headers }),
    ]);
    expect([x.choices[0]!.message.content, y.choices[0]!.message.content].sort()).toEqual(['Answer A.', 'Answer B.']);
    expect(model.requests.length).toBe(before + 2);
    const second = JSON.stringify(sent(model, before + 1));
    expect(second).toContain('parallel question x');
    expect(second).toContain('parallel question y');
    expect(second).toContain('Answer A.');
  }, 60_000);

  it('keeps requests without a session key apart: a fresh session each time', async () => {
    model.script(reply.text('First.'), reply.text('Second.'));
    const a = await client.chat.completions.create({ model: 'tether', messages: [{ role: 'user', content: 'isolated one' }] }).withResponse();
    const before = model.requests.length;
    const b = await client.chat.completions.create({ model: 'tether', messages: [{ role: 'user', content: 'isolated two' }] }).withResponse();
    expect(a.response.headers.get('x-tether-session-key')).toMatch(/^agent:main:openai:/);
    expect(b.response.headers.get('x-tether-session-key')).not.toBe(a.response.headers.get('x-tether-session-key'));
    expect(JSON.stringify(sent(model, before))).not.toContain('isolated one');
  }, 60_000);

  it('answers a failed model as an error: 502 in OpenAI\'s shape, and an error event that the stream iterator throws', async () => {
    model.script(reply.httpError(500, 'the scripted model broke'));
    const error = await client.chat.completions.create({ model: 'tether', messages: [{ role: 'user', content: 'fail please' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((error as InstanceType<typeof OpenAI.APIError>).type).toBe('server_error');
    // Not assistant text: the failure is never dressed up as an answer.
    expect(String((error as Error).message)).not.toBe('');

    model.script(reply.httpError(500, 'the scripted model broke again'));
    const stream = await client.chat.completions.create({ model: 'tether', messages: [{ role: 'user', content: 'fail streaming' }], stream: true });
    let text = '';
    const streamed = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(streamed).toBeInstanceOf(OpenAI.APIError);
    expect(text).toBe('');
  }, 60_000);

  it('aborts the run of a client that disconnects mid-stream: the session takes the next request', async () => {
    const headers = { 'x-tether-session-key': 'agent:main:openai-e2e-abort' };
    model.script(reply.hang({ textBefore: 'Thinking' }));
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'tether', messages: [{ role: 'user', content: 'take forever' }], stream: true },
      { headers, signal: controller.signal },
    );
    let text = '';
    const reading = (async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (text.includes('Thinking')) controller.abort();
      }
    })().catch((e: unknown) => e);
    // The SDK ends its iterator quietly on abort (no error): what matters is that the connection went.
    await reading;
    expect(text).toContain('Thinking');
    expect(controller.signal.aborted).toBe(true);
    // Runs on one session go one at a time: this answer comes only if the hung run was aborted.
    model.script(reply.text('Back again.'));
    const next = await client.chat.completions.create({ model: 'tether', messages: [{ role: 'user', content: 'are you there?' }] }, { headers });
    expect(next.choices[0]!.message.content).toBe('Back again.');
  }, 90_000);

  it('refuses a wrong token with 401 in OpenAI\'s error shape, for completions and models', async () => {
    const wrong = new OpenAI({ baseURL: `${httpBase(gateway)}/v1`, apiKey: 'not-the-token', maxRetries: 0 });
    const before = model.requests.length;
    const error = await wrong.chat.completions.create({ model: 'tether', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const apiError = error as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(apiError.status).toBe(401);
    expect(apiError.type).toBe('authentication_error');
    expect(apiError.code).toBe('invalid_api_key');
    expect(apiError.message).toContain('Bearer');
    const models = await wrong.models.list().catch((e: unknown) => e);
    expect(models).toBeInstanceOf(OpenAI.AuthenticationError);
    // The raw body is exactly OpenAI's shape.
    const raw = await fetch(`${httpBase(gateway)}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-token', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tether', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(raw.status).toBe(401);
    const body = (await raw.json()) as any;
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(model.requests.length).toBe(before);
  });

  it('refuses client-supplied tools with 400 tools_not_supported, before any model request', async () => {
    const before = model.requests.length;
    const error = await client.chat.completions
      .create({
        model: 'tether',
        messages: [{ role: 'user', content: 'use my tool' }],
        tools: [{ type: 'function', function: { name: 'my_tool', parameters: { type: 'object', properties: {} } } }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const apiError = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe('tools_not_supported');
    expect(apiError.param).toBe('tools');
    expect(model.requests.length).toBe(before);
  });
});

describe('an image sent to a gateway whose model has no vision', () => {
  let model: ScriptedModel;
  let gateway: GatewayProcess;
  let client: OpenAI;

  beforeAll(async () => {
    model = await startScriptedModel({ family: 'openai' });
    gateway = await startAgentGateway(model, { profile: { vision: false } });
    client = new OpenAI({ baseURL: `${httpBase(gateway)}/v1`, apiKey: sharedToken(gateway.stateDir), maxRetries: 0, timeout: 60_000 });
  }, 30_000);
  afterAll(async () => {
    await model?.close();
  });

  it('is not dropped in silence: the model is told an image came that it cannot see', async () => {
    const jpeg = await redJpeg();
    model.script(reply.text('I cannot see images.'));
    const completion = await client.chat.completions.create({
      model: 'tether',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is in this picture?' },
            { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${jpeg.toString('base64')}` } },
          ],
        },
      ],
    });
    expect(completion.choices[0]!.message.content).toBe('I cannot see images.');
    const messages = sent(model, 0);
    expect(JSON.stringify(messages)).not.toContain('image_url');
    const user = messages.filter((m) => m.role === 'user').at(-1);
    expect(typeof user.content).toBe('string');
    expect(user.content).toContain('what is in this picture?');
    expect(user.content).toMatch(/1 image/);
    expect(user.content).toMatch(/no vision/);
  }, 60_000);
});

describe('a gateway shutting down under an open OpenAI stream', () => {
  it('exits on SIGTERM, ending the open stream as a cut-short completion (finish_reason length)', async () => {
    const model = await startScriptedModel({ family: 'openai' });
    try {
      const gateway = await startAgentGateway(model);
      const client = new OpenAI({ baseURL: `${httpBase(gateway)}/v1`, apiKey: sharedToken(gateway.stateDir), maxRetries: 0, timeout: 60_000 });
      model.script(reply.hang({ textBefore: 'Working on it' }));
      const stream = client.chat.completions.stream({ model: 'tether', messages: [{ role: 'user', content: 'never finish' }] });
      const seen = new Promise<void>((resolve) => stream.on('content', (_delta, snapshot) => snapshot.includes('Working on it') && resolve()));
      const final = stream.finalChatCompletion();
      await seen;
      expect(await stop(gateway.child, 'SIGTERM')).toBe(0);
      // The run is aborted at shutdown and the stream still ends properly: not "stop", but "length" (cut short).
      const completion = await final;
      expect(completion.choices[0]!.finish_reason).toBe('length');
      expect(completion.choices[0]!.message.content).toBe('Working on it');
    } finally {
      await model.close();
    }
  }, 60_000);
});
