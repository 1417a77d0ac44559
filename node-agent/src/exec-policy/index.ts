export * from './policy-file.js';
export * from './evaluate.js';
export * from './env.js';
export * from './resolve.js';
export * from './ask.js';
