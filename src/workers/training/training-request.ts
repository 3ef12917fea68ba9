// The schema is a wire contract shared with the backend and the CLI: it lives in src/contracts.
export { TrainingStartRequest } from '../../contracts/start-requests.js';
