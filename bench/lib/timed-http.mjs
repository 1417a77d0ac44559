// `node:http` for the scripted model when the agent bench bundles it (bench/lib/agent.mjs): the same
// module, except that every server it creates records when each request arrived and when its answer
// was handed to the kernel, so the bench can subtract the model's own time from a run.
import * as http from 'node:http';

export * from 'node:http';

/** [{ path, startMs, endMs }] in performance.now() time; the bench clears it between measurements. */
export const served = [];

export function createServer(...args) {
  const handler = args.find((a) => typeof a === 'function');
  const options = args.find((a) => a && typeof a === 'object');
  return http.createServer(options ?? {}, (req, res) => {
    const startMs = performance.now();
    res.once('finish', () => served.push({ path: req.url, startMs, endMs: performance.now() }));
    handler?.(req, res);
  });
}

export default { ...http, createServer };
