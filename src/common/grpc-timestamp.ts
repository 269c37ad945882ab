export interface GrpcTimestamp {
  seconds: string;
  nanos: number;
}

/** google.protobuf.Timestamp as proto-loader expects it with longs as strings. */
export function toTimestamp(date: Date): GrpcTimestamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function toOptionalTimestamp(date: Date | null): GrpcTimestamp | undefined {
  return date === null ? undefined : toTimestamp(date);
}
