import { api } from "./api";
import { h } from "./dom";

/** The part of GET /api/callbacks/{id} the agent's call panel needs. */
interface CallbackDetails { id: string; kind: "Queue" | "Promised" | "Voicemail"; messageArchiveNumber: number | null }

/** Callback ids share the ACD and the call log with calls; their prefix tells them apart. */
export function isCallback(callSid: string): boolean {
  return callSid.startsWith("CB");
}

/**
 * On a callback, the caller's recorded message (voicemail or queue callback request) with a player: the agent who took
 * the callback may play it (the server audits every playback). Empty until the message is archived; null for other calls.
 */
export function callbackMessagePanel(callSid: string): HTMLElement | null {
  if (!isCallback(callSid)) return null;
  const panel = h("div", { id: "callback-message", "aria-live": "polite" });
  void (async () => {
    try {
      const callback = await api<CallbackDetails>("GET", `/api/callbacks/${encodeURIComponent(callSid)}`);
      if (callback.messageArchiveNumber === null) {
        if (callback.kind !== "Promised") panel.append(h("p", { class: "muted" }, "The caller's message is not archived yet."));
        return;
      }
      const audio = `/api/archive/recordings/${callback.messageArchiveNumber}/audio`;
      panel.append(
        h("p", {}, h("a", { href: audio, target: "_blank", rel: "noopener" }, `Caller's message #${callback.messageArchiveNumber}`)),
        h("audio", { controls: true, preload: "none", src: audio, "aria-label": "The caller's message" }));
    } catch (e) {
      panel.append(h("p", { class: "muted" }, `The caller's message could not be loaded: ${e instanceof Error ? e.message : String(e)}`));
    }
  })();
  return panel;
}
