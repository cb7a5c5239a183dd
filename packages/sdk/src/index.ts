export type {
  Erasure,
  Event as WebhookEvent,
  EventOf,
  EventType,
  Signal,
  SignalData,
  SignalInput,
  SignalInputOf,
  SignalOf,
  SignalStatus,
  SignalType,
} from "@gigbridge/schemas";
export type { RetryOptions } from "./backoff.js";
export {
  type DropEvent,
  type FlushEvent,
  GigBridge,
  type GigBridgeEvents,
  type GigBridgeOptions,
  type SignalRequest,
  type TaskListQuery,
} from "./client.js";
export {
  AuthenticationError,
  BatchTooLargeError,
  ClientClosedError,
  ConflictError,
  ConnectionError,
  type FieldError,
  GigBridgeError,
  IllegalTransitionError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionError,
  type Problem,
  type ProblemKind,
  QueueFullError,
  RateLimitError,
  ServerError,
  TimeoutError,
  ValidationError,
  type WebhookFailureReason,
  WebhookVerificationError,
} from "./errors.js";
export { eachItem, type Page } from "./pages.js";
export type {
  Resources,
  SendOptions,
  SendResult,
  SignalMethod,
  SignalResources,
  WorkerActions,
} from "./resources.js";
export type { SpoolOptions } from "./spool.js";
export type { FetchLike, RetryEvent } from "./transport.js";
export { uuidv7 } from "./uuid.js";
export { VERSION } from "./version.js";
export {
  generateWebhookSecret,
  type SignOptions,
  signWebhook,
  type UnknownWebhookEvent,
  type VerifiedWebhookEvent,
  type VerifyOptions,
  verifyWebhook,
  Webhook,
  type WebhookBody,
  type WebhookHeaders,
  type WebhookSignatureHeaders,
} from "./webhooks.js";
