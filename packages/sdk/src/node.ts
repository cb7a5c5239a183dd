// @gigbridge/sdk/node: what needs Node itself. The client loads this entry on its own when
// `spool` is configured; import it directly only to inspect or prepare a spool directory.
export { type RecoveredItem, Spool, type SpoolOptions } from "./spool.js";
