import { Worker } from "node:worker_threads";
import { sha256Hex } from "../../compiler/ir/hash.ts";
import { type ChainBreak, type ChainHead, checkLinkWith, sealedLinkWith } from "./chain.ts";
import { fileChunks, ledgerLines } from "./ledger-lines.ts";

/** What the chain check concludes of the texts given to it: the head they lead to, or where they break. */
export type ChainVerdict = { readonly head: ChainHead; readonly entries: number } | { readonly broken: ChainBreak };

/**
 * Checks the hash chain of a whole ledger as its texts go by, beside
 * whoever reads them: `flow replay` hands every text here and compares
 * what it produces with the text alone, so the chain's sha256 and the
 * parse it needs are this check's, once per entry. A text replay has
 * found to be an entry it made itself but for its hashes comes with where
 * its hash member is, and is not parsed again (chain.ts, sealedLinkWith).
 * A long ledger is checked on a worker thread (on another core, the check
 * costs replay nothing); a short one, where starting a thread would cost
 * more than the check, here when it ends.
 *
 * A ledger read from a file (`file`: its descriptor, open for the check's
 * life) is read again by the thread itself, by position, and only where
 * each text's hash member is crosses to it: copying a million texts to
 * the thread was some 6% of the main thread's time in `flow replay FILE`.
 * The reader of the file makes sure it did not change while both read it.
 */
export class ChainCheck {
  private waiting: string[] = [];
  /** Beside each text waiting: where its hash member is when replay made it (isSealedFrom), else -1. */
  private hashAts: number[] = [];
  private worker: { readonly thread: Worker; readonly verdict: Promise<ChainVerdict> } | null = null;

  /** `threadAfter`: how many texts make a ledger long enough for a thread. */
  constructor(
    private readonly threadAfter = 4096,
    private readonly file: { readonly fd: number } | null = null,
  ) {}

  add(text: string, hashAt = -1): void {
    if (this.worker === null || this.file === null) this.waiting.push(text);
    this.hashAts.push(hashAt);
    // Texts cross to the thread a page at a time: one message per text would cost more than its hash.
    if (this.hashAts.length >= 2048 && (this.worker !== null || this.waiting.length >= this.threadAfter)) this.send();
  }

  /** The verdict on every text given so far; the check ends with it. */
  async finish(): Promise<ChainVerdict> {
    if (this.worker === null && this.hashAts.length < this.threadAfter) {
      const walk = chainWalk(checkLinkWith.bind(null, sha256Hex), sealedLinkWith.bind(null, sha256Hex));
      walk.take(this.waiting, this.hashAts);
      this.waiting = [];
      this.hashAts = [];
      return walk.verdict();
    }
    const worker = this.send();
    worker.thread.postMessage(null);
    try {
      return await worker.verdict;
    } finally {
      await worker.thread.terminate();
    }
  }

  /** Ends the check without a verdict. */
  async close(): Promise<void> {
    this.waiting = [];
    this.hashAts = [];
    await this.worker?.thread.terminate();
  }

  private send(): { readonly thread: Worker; readonly verdict: Promise<ChainVerdict> } {
    const worker = (this.worker ??= startWorker(this.file?.fd ?? null));
    // From a file, the thread reads the texts itself: it is told how many, with their hash members.
    if (this.hashAts.length > 0) worker.thread.postMessage(this.file === null ? { texts: this.waiting, hashAts: this.hashAts } : { hashAts: this.hashAts });
    this.waiting = [];
    this.hashAts = [];
    return worker;
  }
}

/**
 * The walk along the chain, self-contained (its source runs as is on the
 * worker): each text checked against the head before it, the run taken
 * from the first; after a break, nothing more is read. A text with where
 * its hash member is (`hashAts`, -1 for none) is checked without parsing
 * it, and, should that fail, checked in full for how the chain breaks.
 */
function chainWalk(
  check: (run: string | null, head: ChainHead, text: string) => ReturnType<typeof checkLinkWith>,
  checkSealed: (head: ChainHead, text: string, hashAt: number) => string | null,
) {
  let run: string | null = null;
  let head: ChainHead = { seq: -1, hash: "0".repeat(64) };
  let broken: ChainBreak | null = null;
  return {
    take(texts: readonly string[], hashAts: readonly number[]): void {
      for (let i = 0; i < texts.length && broken === null; i++) {
        const hashAt = hashAts[i] as number;
        const sealed = hashAt >= 0 && run !== null ? checkSealed(head, texts[i] as string, hashAt) : null;
        if (sealed !== null) {
          head = { seq: head.seq + 1, hash: sealed };
          continue;
        }
        const link = check(run, head, texts[i] as string);
        if ("broken" in link) broken = link.broken;
        else {
          run = link.entry.run;
          head = { seq: head.seq + 1, hash: link.entry.hash };
        }
      }
    },
    verdict(): ChainVerdict {
      return broken === null ? { head, entries: head.seq + 1 } : { broken };
    },
  };
}

/**
 * The worker: its code is the functions above, given node's sha256; it answers the end of the texts (null) with its
 * verdict. Given a file's descriptor, it reads the texts there (ledger-lines.ts), as many as each page of hash members
 * it is sent says.
 */
function startWorker(fd: number | null): { readonly thread: Worker; readonly verdict: Promise<ChainVerdict> } {
  const source = `
    const { parentPort } = require("node:worker_threads");
    const { hash } = require("node:crypto");
    const checkLinkWith = ${checkLinkWith.toString()};
    const sealedLinkWith = ${sealedLinkWith.toString()};
    const hex = (text) => hash("sha256", text, "hex");
    const walk = (${chainWalk.toString()})(checkLinkWith.bind(null, hex), sealedLinkWith.bind(null, hex));
    const fd = ${JSON.stringify(fd)};
    if (fd === null) {
      parentPort.on("message", (page) => {
        if (page !== null) walk.take(page.texts, page.hashAts);
        else parentPort.postMessage(walk.verdict());
      });
    } else {
      const { read } = require("node:fs");
      const { isAscii } = require("node:buffer");
      const fileChunks = ${fileChunks.toString()};
      const ledgerLines = ${ledgerLines.toString()};
      const lines = ledgerLines(fileChunks(read, fd, 1 << 20), isAscii)[Symbol.asyncIterator]();
      let texts = [];
      let at = 0;
      // Messages are taken in order, each once the texts it counts have been read.
      let reading = Promise.resolve();
      parentPort.on("message", (page) => {
        reading = reading
          .then(async () => {
            if (page === null) return parentPort.postMessage(walk.verdict());
            for (let i = 0; i < page.hashAts.length; ) {
              if (at === texts.length) {
                const next = await lines.next();
                if (next.done) throw new Error("the file has fewer lines than were read from it: it changed while it was read");
                texts = next.value;
                at = 0;
              }
              const count = Math.min(page.hashAts.length - i, texts.length - at);
              walk.take(texts.slice(at, at + count), page.hashAts.slice(i, i + count));
              at += count;
              i += count;
            }
          })
          // A read that failed ends the thread, and with it the check: no verdict.
          .catch((error) => setImmediate(() => { throw error; }));
      });
    }`;
  const thread = new Worker(source, { eval: true });
  const verdict = new Promise<ChainVerdict>((resolve, reject) => {
    thread.once("message", resolve);
    thread.once("error", reject);
    thread.once("exit", (code) => reject(new Error(`the chain check's thread ended (exit ${code}) before its verdict`)));
  });
  // Settled once; a rejection nobody awaits yet is not unhandled.
  verdict.catch(() => {});
  return { thread, verdict };
}
