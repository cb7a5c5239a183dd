// Webhook delivery: endpoints, the outbox processing writes to, the worker that
// sends signed messages, and the attempt log. Operators replay through the ops console.
export { type Attempt, listEndpointAttempts, listMessageAttempts } from "./attempts.js";
export { deliverOnce, deliveryAgent } from "./deliver.js";
export {
  createEndpoint,
  deleteEndpoint,
  type Endpoint,
  type EndpointInput,
  type EndpointPatch,
  type EndpointWithHealth,
  endpointsFor,
  findEndpoint,
  getEndpoint,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
  withHealth,
} from "./endpoints.js";
export {
  EndpointNotFoundError,
  EndpointReadOnlyError,
  InvalidEndpointUrlError,
  NetworkRefusedError,
  SecretDecryptionError,
} from "./errors.js";
export {
  type DisabledReason,
  disableEndpoint,
  type EndpointHealth,
  enableEndpoint,
  readHealth,
} from "./health.js";
export { deliveryKeys } from "./keys.js";
export { type DeliveryJobData, enqueueEvent, messageId, type OutboundEvent, webhookBody } from "./outbox.js";
export { endpointRoutes } from "./routes.js";
export { generateSecret, sign, webhookHeaders } from "./signing.js";
export {
  type DeliveryWorker,
  type DeliveryWorkerOptions,
  type FailureReason,
  startDeliveryWorker,
} from "./worker.js";
