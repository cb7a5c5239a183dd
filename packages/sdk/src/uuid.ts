let lastMs = -1;
let sequence = 0;

// Random bytes are drawn in blocks: one getRandomValues call per 256 ids keeps `enqueue` cheap.
const POOL_SIZE = 16 * 256;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function random16(): number {
  if (poolOffset + 16 > POOL_SIZE) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  const offset = poolOffset;
  poolOffset += 16;
  return offset;
}

/**
 * A UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then random bits, so ids
 * sort by creation time. Within one millisecond a 12-bit counter in `rand_a` keeps ids
 * from this process strictly increasing (RFC 9562 §6.2, method 1); if the counter
 * overflows, the timestamp is advanced by one millisecond rather than repeating.
 * Web Crypto only, so it runs on edge runtimes too.
 */
export function uuidv7(now: number = Date.now()): string {
  const at = random16();
  if (now > lastMs) {
    lastMs = now;
    sequence = ((pool[at]! << 8) | pool[at + 1]!) & 0x1ff; // start low so the counter has room to grow
  } else {
    sequence += 1;
    if (sequence > 0xfff) {
      lastMs += 1;
      sequence = 0;
    }
  }
  // 48-bit milliseconds as two parts: bitwise operators only reach 32 bits.
  const high = Math.floor(lastMs / 0x1000000);
  const low = lastMs % 0x1000000;
  const h = HEX;
  const r = pool;
  return (
    h[(high >>> 16) & 0xff]! +
    h[(high >>> 8) & 0xff]! +
    h[high & 0xff]! +
    h[(low >>> 16) & 0xff]! +
    "-" +
    h[(low >>> 8) & 0xff]! +
    h[low & 0xff]! +
    "-" +
    h[0x70 | (sequence >> 8)]! +
    h[sequence & 0xff]! +
    "-" +
    h[0x80 | (r[at + 8]! & 0x3f)]! +
    h[r[at + 9]!]! +
    "-" +
    h[r[at + 10]!]! +
    h[r[at + 11]!]! +
    h[r[at + 12]!]! +
    h[r[at + 13]!]! +
    h[r[at + 14]!]! +
    h[r[at + 15]!]!
  );
}
