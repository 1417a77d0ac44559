export * from './policy-file.js';
export * from './allowlist-entry.js';
export * from './allowlist-edit.js';
export * from './errors.js';
export * from './evaluate.js';
export * from './env.js';
export * from './resolve.js';
export * from './ask.js';
