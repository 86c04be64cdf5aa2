import { api } from "./api";
import { h, field, messageArea } from "./dom";

/** GET /api/agent/requests/{reference}: a text request (SMS, e-mail, web form) as the agent handling it sees it. */
interface TextRequest {
  reference: string;
  channel: "Sms" | "Email" | "Web";
  category: string;
  contact: string;
  verified: boolean;
  subject: string | null;
  body: string;
  receivedAt: string;
  dueAt: string;
  messages: { direction: string; body: string; at: string }[];
  attachments: { fileName: string; contentType: string; bytes: number }[];
  /** MMS pictures and files: "pending" while the server fetches them from Twilio, then a link through the audited endpoint. */
  media: { id: number; contentType: string; state: "pending" | "stored" | "failed"; bytes: number | null; url: string | null }[];
}

/** One MMS item: a link once stored, otherwise a marker saying it is on its way (or could not be fetched). */
function mediaItem(m: TextRequest["media"][number]): HTMLElement {
  if (m.url) return h("li", {}, h("a", { href: m.url, target: "_blank", rel: "noopener", class: "mms-media" }, `${m.contentType} (${m.bytes} B)`));
  return h("li", { class: "muted mms-media-" + m.state }, m.state === "pending" ? `${m.contentType}: media pending` : `${m.contentType}: media could not be fetched`);
}

/** POST /api/agent/requests/{reference}/reply. */
interface ReplyResult { reference: string; answeredAt: string; onTime: boolean; surveySent: boolean }

const streamPrefix = "request:";

/** Whether an ACD id (offer or call) is a text request rather than a phone call. */
export function isTextRequest(id: string): boolean {
  return id.startsWith(streamPrefix);
}

/**
 * The panel for a text request the agent has accepted: the customer's message, its thread, attachments and MMS media, the due
 * time, and the reply box. Sending the reply ends the agent's handling of it; `onAnswered` then refreshes.
 */
function textRequestPanel(stream: string, onAnswered: (result: ReplyResult) => void): HTMLElement {
  const reference = stream.slice(streamPrefix.length);
  const path = `/api/agent/requests/${encodeURIComponent(reference)}`;
  // Ids carry the reference: an agent may hold several requests on one page.
  const id = (part: string) => `text-request-${part}-${reference}`;
  const messages = messageArea(id("messages"));
  const details = h("div", { id: id("details") }, h("p", { class: "muted" }, "Loading…"));
  const reply = h("textarea", { name: "reply", rows: 5, required: true, maxlength: 20000 });
  const send = h("button", { type: "submit", class: "primary" }, "Send reply");
  const form = h("form", { id: id("reply"), class: "text-reply", "aria-labelledby": id("title") },
    h("h3", { id: id("title") }, `Text request ${reference}`),
    details,
    field("Reply", reply),
    send,
    messages.el);

  // Reloaded while media is pending, so a picture appears once the server has fetched it; stops with the panel.
  const load = (): void => void api<TextRequest>("GET", path).then((r) => {
    const due = new Date(r.dueAt);
    details.replaceChildren(
      h("dl", { class: "screen-pop" },
        h("dt", {}, "Channel"), h("dd", {}, r.channel),
        h("dt", {}, "From"), h("dd", {}, `${r.contact}${r.verified ? " (verified customer)" : ""}`),
        h("dt", {}, "Category"), h("dd", {}, r.category),
        h("dt", {}, "Due"), h("dd", { class: due.getTime() < Date.now() ? "warning" : "" }, due.toLocaleString()),
        ...(r.subject ? [h("dt", {}, "Subject"), h("dd", {}, r.subject)] : []),
        ...(r.attachments.length ? [h("dt", {}, "Attachments"), h("dd", {}, r.attachments.map((a) => `${a.fileName} (${a.bytes} B)`).join(", "))] : [])),
      h("blockquote", { id: id("body") }, r.body),
      ...(r.media.length ? [h("ul", { id: id("media"), "aria-label": "Media sent with the message" }, ...r.media.map(mediaItem))] : []),
      ...r.messages.map((m) => h("blockquote", { class: m.direction === "out" ? "reply" : "" }, m.body)));
    reply.maxLength = r.channel === "Email" || r.contact.includes("@") ? 20000 : 1600;
    if (r.media.some((m) => m.state === "pending")) setTimeout(() => { if (form.isConnected) load(); }, 5000);
  }, (e) => messages.error(e instanceof Error ? e.message : String(e)));
  load();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    messages.clear();
    send.disabled = true;
    try {
      onAnswered(await api<ReplyResult>("POST", `${path}/reply`, { text: reply.value }));
    } catch (e) {
      messages.error(e instanceof Error ? e.message : String(e));
    } finally {
      send.disabled = false;
    }
  });
  return form;
}

/**
 * The text requests an agent holds at once (up to the ACD's text capacity): one panel per accepted request, added and
 * removed as the agent's status lists them.
 */
export class TextRequestList {
  readonly el = h("section", { id: "text-requests", "aria-label": "Text requests in hand", hidden: true });
  private readonly panels = new Map<string, HTMLElement>();

  constructor(private readonly onAnswered: (result: ReplyResult) => void) {}

  update(texts: { callSid: string; accepted: boolean }[]): void {
    const held = new Set(texts.filter((t) => t.accepted).map((t) => t.callSid));
    for (const [stream, panel] of this.panels) {
      if (!held.has(stream)) {
        panel.remove();
        this.panels.delete(stream);
      }
    }
    for (const stream of held) {
      if (this.panels.has(stream)) continue;
      const panel = h("div", { class: "card text-request", "data-stream": stream }, textRequestPanel(stream, this.onAnswered));
      this.panels.set(stream, panel);
      this.el.append(panel);
    }
    this.el.hidden = this.panels.size === 0;
  }
}
