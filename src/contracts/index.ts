export * from './worker.js';
export * from './operation.js';
export * from './health.js';
export * from './dispatch.js';
export * from './ids.js';
export * from './bounded-json.js';
export * from './errors.js';
export * from './sweep.js';
