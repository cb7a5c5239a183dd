// @gigbridge/schemas: the zod schemas every other GigBridge package derives its types, validation,
// OpenAPI document, JSON Schema and SDK signatures from.
export * from "./api/index.js";
export * from "./config/index.js";
export * from "./enums/index.js";
export * from "./erasures/index.js";
export * from "./events/index.js";
export {
  fixtures,
  type InvalidEventFixture,
  type InvalidFixture,
  type InvalidSignalFixture,
  type InvalidTaskFixture,
} from "./fixtures/index.js";
export * from "./primitives/index.js";
export * from "./problem/index.js";
export * from "./signals/index.js";
export * from "./tasks/index.js";
