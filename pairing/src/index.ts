export * from './types.js';
export * from './atomic-file.js';
export * from './identity.js';
