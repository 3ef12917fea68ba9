// The error handler moved to the server kit, which both the backend and the workers register.
export { describeValidation, errorHandler } from '../server-kit/error-handler.js';
