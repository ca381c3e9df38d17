/** What node keeps this process alive for while it is referenced: a child process, or a socket (a child's pipes are sockets, typed as plain streams). */
type Handle = { readonly ref?: () => unknown; readonly unref?: () => unknown } | null | undefined;

/**
 * Whether these handles keep this process alive: the sandboxes made ahead
 * and the spare helper do not while nothing waits on them (a process that
 * is done exits, and they end with it), and do once something does.
 */
export function holdProcess(handles: readonly unknown[], hold: boolean): void {
  for (const handle of handles as readonly Handle[]) {
    if (hold) handle?.ref?.();
    else handle?.unref?.();
  }
}
