export { freePort } from "./ports.js";
export { RedisServer, type RedisServerOptions, redisServerBinary } from "./redis.js";
export { waitFor, type WaitOptions } from "./wait.js";
