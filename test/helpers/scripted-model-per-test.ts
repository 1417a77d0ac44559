/** A scripted model per test, closed after each (a separate file: the bench bundles scripted-model.ts without vitest). */
import { afterEach } from 'vitest';
import { startScriptedModel, type ScriptedModel, type ScriptedModelOptions } from './scripted-model.js';

/** Registers the cleanup in the calling test file and returns the starter. */
export function scriptedModelPerTest(): (options?: ScriptedModelOptions) => Promise<ScriptedModel> {
  let model: ScriptedModel | undefined;
  afterEach(async () => {
    await model?.close();
    model = undefined;
  });
  return async (options = {}) => (model = await startScriptedModel(options));
}
