export * from './agent.js';
export * from './run.js';
export * from './state.js';
export * from './platform.js';
export * from './capabilities/index.js';
export * from './exec-policy/index.js';
