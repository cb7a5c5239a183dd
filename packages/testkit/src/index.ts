export { type ClusterNode, RedisCluster, type RedisClusterOptions } from "./cluster.js";
export { freePort } from "./ports.js";
export { RedisServer, type RedisServerOptions, redisServerBinary } from "./redis.js";
export { type WaitOptions, waitFor } from "./wait.js";
