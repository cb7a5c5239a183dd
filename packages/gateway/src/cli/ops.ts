/** Operator commands run against a gateway's /v1/ops API. */
export async function opsCommand(_args: string[]): Promise<number> {
  console.error("gigbridge ops: the operator console commands are not part of this build yet");
  return 2;
}
