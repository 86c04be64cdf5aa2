import type { HubConnection } from "@microsoft/signalr";
import { monitorControls } from "./in-call";
import { api, type Session, type AgentBoardRow, type AgentStateMessage, type Announcement, type Line, type Wallboard } from "./api";
import { h, field, clock, messageArea } from "./dom";
import { KnowledgeDesk } from "./knowledge-desk";
import { ComplaintDesk } from "./complaint-desk";
import { CallbacksBoard } from "./callbacks-board";
import { OutboundProjectsPanel } from "./outbound-projects";

/** The supervisor's board: queues and service level (wallboard), agents with forced Break/Offline, the emergency announcement switch. */
export class SupervisorView {
  readonly el: HTMLElement;
  private readonly messages = messageArea("supervisor-messages");
  private readonly queuesBody = h("tbody", { id: "queues-body" });
  private readonly agentsBody = h("tbody", { id: "agents-body" });
  private readonly definition = h("p", { id: "sl-definition", class: "muted" });
  private readonly linesPanel = h("div", { id: "lines" });
  private readonly handlers: [string, (...args: unknown[]) => void][];
  private readonly poller: number;
  private readonly knowledge: KnowledgeDesk;
  private readonly complaints: ComplaintDesk;

  constructor(private readonly hub: HubConnection, session: Session) {
    const th = (text: string) => h("th", { scope: "col" }, text);
    this.knowledge = new KnowledgeDesk(hub);
    this.complaints = new ComplaintDesk(hub);
    this.el = h("div", { class: "console supervisor" },
      h("h2", { class: "visually-hidden" }, "Supervisor console"),
      this.messages.el,
      h("section", { class: "card", "aria-labelledby": "queues-title" },
        h("h3", { id: "queues-title" }, "Queues"),
        h("table", { id: "queues" },
          h("thead", {}, h("tr", {}, th("Queue"), th("Waiting"), th("Longest wait"), th("Staffed"), th("Available"),
            th("Offered today"), th("Answered today"), th("Abandoned today"), th("Service level today"))),
          this.queuesBody),
        this.definition),
      h("section", { class: "card", "aria-labelledby": "agents-title" },
        h("h3", { id: "agents-title" }, "Agents"),
        h("table", { id: "agents" },
          h("thead", {}, h("tr", {}, th("Agent"), th("Work number"), th("State"), th("Since"), th("Call"), th("Force"))),
          this.agentsBody)),
      h("section", { class: "card", "aria-labelledby": "lines-title" },
        h("h3", { id: "lines-title" }, "Emergency announcement"),
        this.linesPanel),
      this.knowledge.el,
      this.complaints.el,
      new CallbacksBoard().el,
      new OutboundProjectsPanel(session).el);

    this.handlers = [
      ["wallboard", (board) => this.renderWallboard(board as Wallboard)],
      ["agentStateChanged", (message) => this.onAgentState(message as AgentStateMessage)],
      ["ready", () => void this.loadAgents()],
    ];
    for (const [name, handler] of this.handlers) hub.on(name, handler);
    // The hub pushes the wallboard every two seconds; the poll only covers a lost connection.
    this.poller = window.setInterval(() => void this.loadBoard(), 5000);
    void this.loadBoard();
    void this.loadAgents();
    void this.loadLines();
  }

  dispose(): void {
    window.clearInterval(this.poller);
    for (const [name, handler] of this.handlers) this.hub.off(name, handler);
    this.knowledge.dispose();
    this.complaints.dispose();
  }

  private fail(e: unknown): void {
    this.messages.error(e instanceof Error ? e.message : String(e));
  }

  private async loadBoard(): Promise<void> {
    try {
      this.renderWallboard(await api<Wallboard>("GET", "/api/metrics/wallboard"));
    } catch (e) {
      this.fail(e);
    }
  }

  private renderWallboard(board: Wallboard): void {
    this.definition.textContent = `Service level: ${board.definition} · as of ${new Date(board.at).toLocaleTimeString()}`;
    this.queuesBody.replaceChildren(...board.queues.map((q) => h("tr", { "data-queue": q.queue },
      h("th", { scope: "row" }, q.queue),
      h("td", { "data-col": "waiting" }, String(q.waiting)),
      h("td", { "data-col": "oldest" }, q.oldestWaitSeconds === null ? "—" : clock(q.oldestWaitSeconds)),
      h("td", {}, String(q.staffed)),
      h("td", { "data-col": "available" }, String(q.available)),
      h("td", {}, String(q.offeredToday)),
      h("td", { "data-col": "answered" }, String(q.answeredToday)),
      h("td", {}, String(q.abandonedToday)),
      h("td", {}, q.serviceLevelToday === null ? "—" : `${(q.serviceLevelToday * 100).toFixed(1)} %`))));
  }

  private loading: Promise<void> | null = null;
  private reloadAfterLoading = false;

  // One load at a time; a change pushed while one is in flight loads once more after it, since the rows in flight
  // may predate the change and would otherwise overwrite it.
  private loadAgents(): Promise<void> {
    if (this.loading) {
      this.reloadAfterLoading = true;
      return this.loading;
    }
    this.loading = api<AgentBoardRow[]>("GET", "/api/supervisor/agents")
      .then((rows) => this.renderAgents(rows), (e) => this.fail(e))
      .finally(() => {
        this.loading = null;
        if (this.reloadAfterLoading) {
          this.reloadAfterLoading = false;
          void this.loadAgents();
        }
      });
    return this.loading;
  }

  private onAgentState(message: AgentStateMessage): void {
    const row = this.agentsBody.querySelector<HTMLTableRowElement>(`tr[data-agent="${CSS.escape(message.agent)}"]`);
    if (!row) {
      void this.loadAgents();
      return;
    }
    // The push carries the state but not the call; reloading keeps every column true.
    row.querySelector("[data-col=state]")!.textContent = label(message.state, message.reason);
    void this.loadAgents();
  }

  private renderAgents(rows: AgentBoardRow[]): void {
    this.agentsBody.replaceChildren(...rows.map((a) => {
      const reason = h("input", { name: "reason", value: "", maxlength: 64, placeholder: "reason", size: 10 });
      const forceBreak = h("button", { type: "button", "aria-label": `Force ${a.displayName} (${a.workNumber}) to break` }, "Break");
      const forceOffline = h("button", { type: "button", class: "secondary", "aria-label": `Force ${a.displayName} (${a.workNumber}) offline` }, "Offline");
      const force = async (state: "Break" | "Offline") => {
        this.messages.clear();
        try {
          await api("POST", `/api/supervisor/agents/${encodeURIComponent(a.workNumber)}/state`, { state, reason: reason.value || null });
          this.messages.info(`${a.displayName} (${a.workNumber}) set to ${state}.`);
        } catch (e) {
          this.fail(e);
        }
        await this.loadAgents();
      };
      forceBreak.addEventListener("click", () => void force("Break"));
      forceOffline.addEventListener("click", () => void force("Offline"));
      return h("tr", { "data-agent": a.workNumber },
        h("th", { scope: "row" }, a.displayName),
        h("td", {}, a.workNumber),
        h("td", { "data-col": "state", "data-state": a.state }, label(a.state, a.breakReason)),
        h("td", {}, a.since ? new Date(a.since).toLocaleTimeString() : "—"),
        h("td", {}, a.callSid ?? "—", a.callSid && a.state === "OnCall" ? monitorControls(a.callSid, `${a.displayName} (${a.workNumber})`, this.messages) : null),
        h("td", { class: "controls" }, field(`Break reason for ${a.workNumber}`, reason), forceBreak, forceOffline));
    }));
  }

  private async loadLines(): Promise<void> {
    try {
      const lines = await api<Line[]>("GET", "/api/supervisor/lines");
      const panels = await Promise.all(lines.map(async (line) => this.linePanel(line,
        await api<Announcement>("GET", `/api/lines/${encodeURIComponent(line.flowId)}/emergency-announcement`))));
      this.linesPanel.replaceChildren(...panels);
    } catch (e) {
      this.fail(e);
    }
  }

  private linePanel(line: Line, state: Announcement): HTMLElement {
    const messages = messageArea(`line-${line.flowId}-messages`);
    const texts = line.languages.map((language) => ({
      language,
      input: h("textarea", { name: `text-${language}`, rows: 2, maxlength: 500 }, state.texts?.[language] ?? ""),
    }));
    const status = h("p", { role: "status", "data-active": String(state.active) },
      state.active ? `ON since ${new Date(state.switchedOnAt!).toLocaleString()} by ${state.switchedOnBy}` : "Off");
    const on = h("button", { type: "button", class: "danger" }, "Switch on");
    const off = h("button", { type: "button", class: "secondary", disabled: !state.active }, "Switch off");
    const flow = encodeURIComponent(line.flowId);
    on.addEventListener("click", async () => {
      messages.clear();
      try {
        await api("PUT", `/api/lines/${flow}/emergency-announcement`, { texts: Object.fromEntries(texts.map((t) => [t.language, t.input.value])) });
        await this.loadLines();
      } catch (e) {
        messages.error(e instanceof Error ? e.message : String(e));
      }
    });
    off.addEventListener("click", async () => {
      messages.clear();
      try {
        await api("DELETE", `/api/lines/${flow}/emergency-announcement`);
        await this.loadLines();
      } catch (e) {
        messages.error(e instanceof Error ? e.message : String(e));
      }
    });
    return h("fieldset", { "data-line": line.flowId },
      h("legend", {}, `Line ${line.flowId}`),
      status,
      ...texts.map((t) => field(`Announcement (${t.language})`, t.input)),
      h("div", { class: "controls" }, on, off),
      messages.el);
  }
}

function label(state: string, reason: string | null): string {
  return state === "Break" && reason ? `Break (${reason})` : state;
}
