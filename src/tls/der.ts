// Just enough DER to cut a signed structure into its parts: the bytes a signature covers
// (RFC 5280 §5.1: tbsCertList) must be hashed exactly as they were encoded, never re-encoded.

export interface Tlv {
  readonly tag: number;
  /** Offset of the value. */
  readonly start: number;
  /** Offset just past the value. */
  readonly end: number;
  /** Offset of the tag (the whole element is bytes[headerStart, end)). */
  readonly headerStart: number;
}

export function readTlv(bytes: Uint8Array, at: number): Tlv {
  const tag = bytes[at];
  let len = bytes[at + 1];
  if (tag === undefined || len === undefined) throw new Error('truncated DER');
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (bytes[start + i] ?? NaN);
    start += n;
  }
  const end = start + len;
  if (!Number.isFinite(end) || end > bytes.length) throw new Error('truncated DER');
  return { tag, start, end, headerStart: at };
}

/** The elements directly inside a constructed element. */
export function children(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const t = readTlv(bytes, at);
    out.push(t);
    at = t.end;
  }
  return out;
}
