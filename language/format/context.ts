import type { CommentStore } from "./comments.ts";

/** What every print function needs besides the node it prints. */
export interface PrintContext {
  /** The text the tree was parsed from: read for blank lines and comment positions only. */
  readonly source: string;
  readonly comments: CommentStore;
}
