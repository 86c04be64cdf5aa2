import { api } from "./api";
import { h, field, select, messageArea } from "./dom";

/** A callback as GET /api/callbacks lists it (number masked). */
interface Callback {
  id: string;
  kind: "Queue" | "Promised" | "Voicemail";
  number: string;
  queue: string;
  enteredAt: string;
  windowFrom: string | null;
  windowTo: string | null;
  status: "Pending" | "Queued" | "Dialling" | "Done" | "Failed";
  nextAttemptAt: string | null;
  agent: string | null;
  outcome: string | null;
  attempts: number;
  messageArchiveNumber: number | null;
  attemptList: { number: number; at: string; agent: string; outcome: string | null; durationSeconds: number | null }[];
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");

/** The supervisor's callback list: what waits (and until when), what is promised, each attempt and how it ended. */
export class CallbacksBoard {
  readonly el: HTMLElement;
  private readonly messages = messageArea("callbacks-messages");
  private readonly rows = h("tbody", { id: "callbacks-body" });
  private readonly status = select("status", [["", "All"], ["Pending", "Waiting for their time"], ["Queued", "Waiting for an agent"],
    ["Dialling", "Being called"], ["Done", "Reached"], ["Failed", "Not reached"]], { id: "callbacks-status" });

  constructor() {
    const th = (text: string) => h("th", { scope: "col" }, text);
    const refresh = h("button", { type: "button", class: "secondary" }, "Refresh callbacks");
    refresh.addEventListener("click", () => void this.load());
    this.status.addEventListener("change", () => void this.load());
    this.el = h("section", { class: "card", "aria-labelledby": "callbacks-title" },
      h("h3", { id: "callbacks-title" }, "Callbacks"),
      h("div", { class: "controls" }, field("Show", this.status), refresh),
      this.messages.el,
      h("table", { id: "callbacks" },
        h("thead", {}, h("tr", {}, th("Callback"), th("Kind"), th("Customer"), th("Queue"), th("Place since"), th("Promised window"),
          th("Status"), th("Next attempt"), th("Attempts"), th("Outcome"), th("Message"))),
        this.rows));
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const query = this.status.value ? `?status=${encodeURIComponent(this.status.value)}` : "";
      const list = await api<Callback[]>("GET", `/api/callbacks${query}`);
      this.messages.clear();
      this.rows.replaceChildren(...list.map((c) => h("tr", { "data-callback": c.id, "data-status": c.status },
        h("td", {}, c.id.slice(0, 10)),
        h("td", {}, c.kind),
        h("td", {}, c.number),
        h("td", {}, c.queue),
        h("td", {}, when(c.enteredAt)),
        h("td", {}, c.windowFrom ? `${when(c.windowFrom)} – ${when(c.windowTo)}` : "—"),
        h("td", { "data-col": "status" }, c.status),
        h("td", {}, when(c.nextAttemptAt)),
        h("td", { "data-col": "attempts" }, c.attemptList.length === 0 ? "0"
          : c.attemptList.map((a) => `#${a.number} ${when(a.at)} by ${a.agent}: ${a.outcome ?? "ringing"}`).join("; ")),
        h("td", {}, c.outcome ?? "—"),
        h("td", {}, c.messageArchiveNumber === null ? "—"
          : h("a", { href: `/api/archive/recordings/${c.messageArchiveNumber}/audio` }, `Play message #${c.messageArchiveNumber}`)))));
      if (list.length === 0) this.rows.append(h("tr", {}, h("td", { colspan: 11 }, "No callbacks.")));
    } catch (e) {
      this.messages.error(e instanceof Error ? e.message : String(e));
    }
  }
}
