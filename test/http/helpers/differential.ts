// One input through both parsers, and the rule for when their answers agree (see stricter.ts
// for the only refusals of ours that llhttp does not share).
import { collect, type Kind, type Message, type Outcome } from './collect.js';
import { oracle, type OracleOutcome } from './oracle.js';
import { explain, explainsPersistence, type ClassName } from './stricter.js';

export const FUZZ_LIMITS = { maxHeaderBytes: 16 * 1024, maxChunkLineBytes: 1024 };

export interface Verdict {
  /** Why the two parsers disagree, or null when they agree (or we refuse for a listed reason). */
  disagreement: string | null;
  /** The stricter class that explained a difference, if one did. */
  explainedBy: ClassName | null;
  ours: Outcome;
  theirs: OracleOutcome;
}

const FIELDS = ['interim', 'method', 'target', 'version', 'headers', 'body', 'keepAlive'] as const;

function differs(a: Message, b: Message): string | null {
  for (const f of FIELDS) if (JSON.stringify(a[f]) !== JSON.stringify(b[f])) return f;
  return null;
}

export function compare(kind: Kind, input: Buffer): Verdict {
  const ours = collect(kind, [input], { limits: FUZZ_LIMITS, pauseEachMessage: true });
  const theirs = oracle(kind, input, FUZZ_LIMITS.maxHeaderBytes);
  const verdict = (disagreement: string | null, explainedBy: ClassName | null = null): Verdict => ({ disagreement, explainedBy, ours, theirs });
  let a = ours.messages.filter((m) => m.complete);
  let b: Message[] = theirs.messages.filter((m) => m.complete);
  let weRefused = ours.error !== null;
  // node:http's client fails an exchange that ends after a 1xx ("socket hang up").
  let theyRefused = theirs.error !== null || (kind === 'response' && b.length > 0 && b[b.length - 1]!.interim);
  // An upgrade request (CONNECT, or Upgrade with Connection: upgrade) ends what llhttp reads:
  // node:http hands the rest of the connection to an 'upgrade'/'connect' listener. We never
  // upgrade (CONNECT ends the connection, Upgrade is an ordinary field), so the messages before
  // it compare in full and the upgrade request by its head.
  const up = kind === 'request' ? theirs.messages.findIndex((m) => m.upgrade) : -1;
  if (up !== -1) {
    const headOnly = (m: Message): Message => ({ ...m, body: '', keepAlive: false, complete: true });
    a = ours.messages.slice(0, up + 1).map((m, i) => (i === up ? headOnly(m) : m)).filter((m) => m.complete);
    b = theirs.messages.slice(0, up + 1).map((m, i) => (i === up ? headOnly(m) : m));
    weRefused = ours.error !== null && a.length <= up;
    theyRefused = false;
  }
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const field = differs(a[i]!, b[i]!);
    if (field === null) continue;
    if (field === 'keepAlive' && differs({ ...a[i]!, keepAlive: b[i]!.keepAlive }, b[i]!) === null && explainsPersistence(a[i]!, b[i]!)) {
      return verdict(null, 'close-wins'); // we end the connection here; llhttp reads on
    }
    return verdict(`message ${i}: ${field} differs`);
  }
  if (a.length > n) return verdict(`we accepted message ${n}, llhttp refused it`);
  if (b.length === n && weRefused === theyRefused) return verdict(null);
  if (!weRefused) return verdict(`we accepted the input, llhttp refused it (${theirs.error?.code ?? 'no final response'})`);
  // We refused where llhttp went on: only a listed stricter class may explain it.
  const text = input.toString('latin1');
  const lineStart = ours.errorAt >= 2 ? text.lastIndexOf('\n', ours.errorAt - 2) + 1 : 0;
  const cls = explain({
    kind,
    code: ours.error!.code,
    message: text.slice(ours.messageStart, ours.errorAt),
    line: text.slice(Math.max(lineStart, ours.messageStart), ours.errorAt),
    remaining: input.length - ours.messageStart,
    limits: FUZZ_LIMITS,
  });
  if (cls) return verdict(null, cls.name);
  return verdict(`we refused (${ours.error!.code}: ${ours.error!.detail}) what llhttp accepted`);
}
