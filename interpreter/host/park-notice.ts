import { z } from "zod";
import { Budget } from "../../compiler/ir/cost.ts";
import { spendText } from "../core/budget.ts";
import { Json, Spent } from "../ledger/entry.ts";

/**
 * What is POSTed to the project's webhook when a run parks: a Slack
 * incoming-webhook body, so a Slack webhook URL works as it is, and any
 * other receiver reads the `flow` member (Slack ignores members it does
 * not know). `text` is the fallback Slack shows in notifications and where
 * blocks cannot be drawn; `blocks` is the message itself (Block Kit).
 */

/** Slack refuses a text object longer than this (section text, context elements). */
export const slackTextLimit = 3_000;

/** How much of the `show` value the message shows: approvers read a glimpse here and the whole with `flow status`. */
export const showLineLimit = 20;
export const showCharLimit = 2_500;

const MrkdwnText = z.strictObject({ type: z.literal("mrkdwn"), text: z.string().min(1).max(slackTextLimit) });
type MrkdwnText = z.infer<typeof MrkdwnText>;

export const SlackBlock = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("section"), text: MrkdwnText }),
  /** Slack takes at most 10 elements in a context block. */
  z.strictObject({ type: z.literal("context"), elements: z.array(MrkdwnText).min(1).max(10) }),
]);
export type SlackBlock = z.infer<typeof SlackBlock>;

export const ParkNotice = z.strictObject({
  text: z.string().min(1),
  /** Slack takes at most 50 blocks in a message. */
  blocks: z.array(SlackBlock).min(1).max(50),
  flow: z.strictObject({
    /** Which notification this is, for receivers that will get others (a run ending, a budget refusal). */
    event: z.literal("run.parked"),
    run: z.string(),
    workflow: z.string(),
    instance: z.string(),
    waitingFor: z.string(),
    /** The whole value, uncut; absent when the gate shows nothing (a signal, an `approve` without `show`). */
    show: Json.optional(),
    spent: Spent,
    ceilings: Budget,
  }),
});
export type ParkNotice = z.infer<typeof ParkNotice>;

export interface ParkNoticeInput {
  readonly run: string;
  readonly workflow: string;
  /** The parked instance (`b4`, `migrate[2]`), as `run.parked` names it. */
  readonly instance: string;
  /** What it waits for, as `run.parked` says it: `approval "merge"`, `signal "ready"`. */
  readonly waitingFor: string;
  readonly show: Json | undefined;
  readonly spent: Spent;
  readonly ceilings: Budget;
  /** The command that decides, ready to paste: `flow approve 20261122-134955-5a1c0e merge`. */
  readonly approveHint: string;
}

export function parkNotice(input: ParkNoticeInput): ParkNotice {
  const { run, workflow, instance, waitingFor, show, spent, ceilings, approveHint } = input;
  const blocks: SlackBlock[] = [
    section(`*Run \`${escape(run)}\` is parked* at \`${escape(instance)}\`, waiting for ${escape(waitingFor)}\nworkflow \`${escape(workflow)}\``),
  ];
  if (show !== undefined) blocks.push(section(`*It shows*\n\`\`\`${showSummary(show)}\`\`\``));
  blocks.push({ type: "context", elements: [mrkdwn(`Spent so far: ${spendText(spent, ceilings)}`), mrkdwn(`To decide: \`${escape(approveHint)}\``)] });
  return {
    text: escape(`run ${run} (${workflow}) is parked at ${instance}, waiting for ${waitingFor}`),
    blocks,
    flow: { event: "run.parked", run, workflow, instance, waitingFor, ...(show === undefined ? {} : { show }), spent, ceilings },
  };
}

/**
 * The `show` value as an approver glances at it: a string as it is (it is
 * often a diff or a report), anything else as indented JSON, cut to
 * `showLineLimit` lines and `showCharLimit` characters, escaped for mrkdwn.
 * The cut is measured on the escaped text, which is what Slack counts.
 */
export function showSummary(show: Json): string {
  const rendered = typeof show === "string" ? (show === "" ? '""' : show) : JSON.stringify(show, null, 2);
  // mrkdwn has no escape for a backtick: three of them would close the code block the summary sits in.
  return cut(escape(rendered).replaceAll("```", "`\u200b`\u200b`"), showLineLimit, showCharLimit);
}

function section(text: string): SlackBlock {
  return { type: "section", text: mrkdwn(text) };
}

/** A text object Slack accepts whatever the names in it: cut to its limit rather than refused. */
function mrkdwn(text: string): MrkdwnText {
  return { type: "mrkdwn", text: cut(text, Number.POSITIVE_INFINITY, slackTextLimit) };
}

/** Slack reads `&`, `<` and `>` as markup (`<!channel>` notifies everyone): they, and only they, are escaped. */
function escape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Room kept for the ellipsis and the count of lines left out, so that a cut text stays within its limit. */
const ellipsisRoom = 32;

/**
 * At most `lines` lines and `chars` characters of escaped text, with an
 * ellipsis where something was left out, and how many lines. The cut never
 * splits an entity (`&amp;`) or a surrogate pair, which Slack would show
 * as debris.
 */
function cut(text: string, lines: number, chars: number): string {
  const all = text.split("\n");
  if (all.length <= lines && text.length <= chars) return text;
  let kept = all.slice(0, lines).join("\n");
  const midLine = kept.length > chars - ellipsisRoom;
  if (midLine) {
    kept = kept.slice(0, chars - ellipsisRoom);
    const amp = kept.lastIndexOf("&");
    if (amp !== -1 && amp >= kept.length - 4 && !kept.slice(amp).includes(";")) kept = kept.slice(0, amp);
    if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  }
  const hidden = all.length - kept.split("\n").length;
  if (hidden === 0) return `${kept}…`;
  return `${kept}${midLine ? "…" : ""}\n… (${hidden} more line${hidden === 1 ? "" : "s"})`;
}
