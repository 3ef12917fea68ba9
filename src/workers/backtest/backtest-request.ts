// The schema is a wire contract shared with the backend and the CLI: it lives in src/contracts.
export { BacktestStartRequest } from '../../contracts/start-requests.js';
