/**
 * google.protobuf.Struct as @grpc/proto-loader hands it over (oneofs: false) and takes it back:
 * free-form JSON objects (a job's config and lineage, an event's data) in gRPC messages.
 */
export interface StructMessage {
  fields?: Record<string, ValueMessage>;
}

export interface ValueMessage {
  nullValue?: string;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: StructMessage;
  listValue?: { values?: ValueMessage[] };
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function fromValue(v: ValueMessage): JsonValue {
  if (v.structValue != null) return fromStruct(v.structValue);
  if (v.listValue != null) return (v.listValue.values ?? []).map(fromValue);
  return v.numberValue ?? v.stringValue ?? v.boolValue ?? null;
}

/** A received Struct as the plain object it stands for. */
export function fromStruct(s: StructMessage): { [key: string]: JsonValue } {
  return Object.fromEntries(Object.entries(s.fields ?? {}).map(([k, v]) => [k, fromValue(v)]));
}

function toValue(v: unknown): ValueMessage {
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  if (typeof v === 'object' && v !== null) return { structValue: toStruct(v) };
  return { nullValue: 'NULL_VALUE' };
}

/** A plain object as a Struct; undefined fields are left out. */
export function toStruct(v: object): StructMessage {
  const fields = Object.entries(v).filter(([, value]) => value !== undefined);
  return { fields: Object.fromEntries(fields.map(([k, value]) => [k, toValue(value)])) };
}
