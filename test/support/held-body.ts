/** A request body held open in the middle: `stream` to send, `send` to let the rest go. */
export interface HeldBody {
  stream: ReadableStream<Uint8Array>;
  /** The first part has gone out, and the sender asks for the rest. */
  readonly held: boolean;
  /** Sends `rest` (nothing more for null) and ends the body; later calls do nothing. */
  send(rest: Uint8Array | null): void;
}

/**
 * A body that sends `first` at once and the rest only when the test says so: a request still streaming when a
 * shutdown, a crash, a backup or a second request with its key comes.
 */
export function heldBody(first: Uint8Array): HeldBody {
  let release: (rest: Uint8Array | null) => void = () => undefined;
  const gate = new Promise<Uint8Array | null>((resolve) => (release = resolve));
  let started = false;
  let held = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(first);
        return;
      }
      held = true;
      const rest = await gate;
      if (rest) controller.enqueue(rest);
      controller.close();
    },
  });
  return {
    stream,
    get held() {
      return held;
    },
    send: (rest) => release(rest),
  };
}
