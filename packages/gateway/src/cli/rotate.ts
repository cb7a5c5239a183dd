import { parseArgs } from "node:util";
import { loadConfig } from "../config/load.js";
import { createGateway } from "../core/context.js";
import { createLogger } from "../core/logger.js";
import { parseMasterKeyRing } from "../core/master-key.js";
import { type RotationProgress, rotateMasterKey } from "../rotation/migrate.js";

export const rotateUsage = `Usage: gigbridge rotate-master-key [--config <file>] [--operator <name>]

Moves everything the previous master keys derived or sealed to the current key: worker records,
ledgers, station members, stored decisions and task references move to the subject ids the current
key derives; endpoint secrets are sealed again. Safe while the gateway serves traffic; stopped, it
resumes where it was when run again. Every start and the end are in the audit log.

Before: give every gateway process GIGBRIDGE_MASTER_KEY=<new id>:<new key>,<old id>:<old key> and
restart them. Then run this with the same GIGBRIDGE_MASTER_KEY and REDIS_URL. After it reports
"done", remove the old key from GIGBRIDGE_MASTER_KEY and restart the processes again.`;

const line = (p: RotationProgress) =>
  `pass ${p.pass}: ${p.scanned} keys scanned, ${p.moved} moved, ${p.resealed} sealed again, ${p.unmigratable} waiting for a signal, ${p.conflicts} conflicts`;

export async function rotateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string" },
      operator: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(rotateUsage);
    return 0;
  }
  const configPath = values.config ?? process.env.GIGBRIDGE_CONFIG;
  const url = process.env.REDIS_URL;
  const keyText = process.env.GIGBRIDGE_MASTER_KEY;
  if (!configPath || !url || !keyText) {
    console.error(
      `gigbridge rotate-master-key: needs --config (or GIGBRIDGE_CONFIG), REDIS_URL and GIGBRIDGE_MASTER_KEY\n\n${rotateUsage}`,
    );
    return 2;
  }
  const ring = parseMasterKeyRing(keyText);
  if (ring.previous.length === 0) {
    console.error(
      "gigbridge rotate-master-key: GIGBRIDGE_MASTER_KEY holds one key; give the new key first, then the old one (<new id>:<key>,<old id>:<key>)",
    );
    return 2;
  }
  const gw = await createGateway({
    config: await loadConfig(configPath),
    redisUrl: url,
    masterKey: ring.current.key,
    masterKeyId: ring.current.id,
    previousMasterKeys: ring.previous,
    logger: createLogger({ level: process.env.LOG_LEVEL ?? "warn" }),
  });
  try {
    let last = 0;
    const done = await rotateMasterKey(gw, {
      operator: values.operator ?? process.env.USER ?? "cli",
      onProgress: (p) => {
        if (Date.now() - last < 1000) return;
        last = Date.now();
        console.error(line(p));
      },
    });
    console.log(line(done));
    if (done.conflicts > 0) {
      console.log(
        `done, but ${done.conflicts} worker(s) also have a record under their new subject id, made by a process started without the old key; their old records are kept (see docs/operations.md)`,
      );
      return 1;
    }
    console.log(
      done.unmigratable > 0
        ? `done, except ${done.unmigratable} record(s) from before worker ids were sealed: each moves with its worker's next signal, so keep the old key until then`
        : `done: nothing needs the previous key(s) ${ring.previous.map((k) => k.id).join(", ")} any more; remove them from GIGBRIDGE_MASTER_KEY and restart the gateway processes`,
    );
    return 0;
  } finally {
    await gw.close();
  }
}
