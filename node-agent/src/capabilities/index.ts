export * from './capability.js';
export * from './registry.js';
export * from './system.js';
export { OutputCapture, type CapturedOutput, type OutputStream } from './output-capture.js';
export { runProcess, type RunProcessOptions } from './run-process.js';
