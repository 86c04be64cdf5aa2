import type { HubConnection } from "@microsoft/signalr";
import { callbackMessagePanel } from "./callback-message";
import { api, ApiError, type AgentState, type AgentStatus, type Offer, type Session } from "./api";
import { h, field, select, clock, messageArea } from "./dom";
import { KnowledgePanel } from "./knowledge";
import { isTextRequest, TextRequestList } from "./text-requests";
import { inCallControls } from "./in-call";
import { Softphone } from "./softphone";

/** GET/POST /api/agent/calls/{callSid}/recording[/pause|/resume]. */
interface RecordingState { callSid: string; paused: boolean; since: string | null; reason: string | null }

const stateNames: Record<AgentState, string> = {
  Offline: "Offline",
  Available: "Available",
  Reserved: "Ringing",
  OnCall: "On a call",
  WrapUp: "Wrap-up",
  Break: "On a break",
  OnText: "On text requests",
};

const breakReasons: [string, string][] = [["lunch", "Lunch"], ["rest", "Rest"], ["training", "Training"], ["meeting", "Meeting"], ["personal", "Personal"]];
const dispositions: [string, string][] = [
  ["", "Choose a disposition…"], ["resolved", "Resolved"], ["information-given", "Information given"], ["callback-promised", "Callback promised"],
  ["transferred", "Transferred"], ["complaint-opened", "Complaint opened"], ["no-action", "No action needed"],
];
const reasonFamilies: [string, string][] = [
  ["", "None"], ["accounts", "Accounts"], ["cards", "Cards"], ["payments", "Payments and transfers"], ["loans", "Loans"],
  ["fraud", "Loss and fraud"], ["complaint", "Complaint"], ["other", "Other"],
];

/** The seat agent's softphone: state bar, incoming offer with screen pop, the call, and its wrap-up. */
export class AgentView {
  readonly el: HTMLElement;
  private status: AgentStatus | null = null;
  private offer: Offer | null = null;
  private offerSeenAt = 0;
  private stateSeenAt = Date.now();
  private readonly messages = messageArea("agent-messages");
  private readonly stateLabel = h("strong", { id: "agent-state", "data-state": "Offline" }, "Offline");
  private readonly stateTimer = h("span", { id: "state-timer", class: "timer", "aria-label": "Time in this state" }, "0:00");
  private readonly breakReason = select("breakReason", breakReasons);
  // Disabled until the first GET /api/agent/me says which of them the current state allows.
  private readonly availableButton = h("button", { type: "button", disabled: true }, "Available");
  private readonly breakButton = h("button", { type: "button", disabled: true }, "Take a break");
  private readonly offlineButton = h("button", { type: "button", class: "secondary", disabled: true }, "Go offline");
  private readonly softphone = new Softphone();
  private readonly offerPanel = h("section", { id: "offer", "aria-labelledby": "offer-title", hidden: true });
  private readonly callPanel = h("section", { id: "call", "aria-labelledby": "call-title", hidden: true });
  private readonly wrapUpPanel = h("section", { id: "wrap-up", "aria-labelledby": "wrap-up-title", hidden: true });
  private readonly ringTimer = h("span", { id: "ring-timer", class: "timer", role: "timer", "aria-label": "Seconds left to answer" });
  private readonly talkTimer = h("span", { id: "talk-timer", class: "timer", role: "timer", "aria-label": "Call duration" });
  private callStartedAt = 0;
  private readonly ticker: number;
  private readonly poller: number;
  private readonly handlers: [string, (...args: unknown[]) => void][];
  private readonly knowledge: KnowledgePanel;
  private readonly texts = new TextRequestList((r) => {
    this.messages.info(`Reply sent${r.onTime ? " on time" : " after the due time"}${r.surveySent ? "; a survey follows" : ""}.`);
    void this.refresh();
  });

  constructor(private readonly hub: HubConnection, private readonly session: Session) {
    this.availableButton.addEventListener("click", () => this.act(() => this.goAvailable()));
    this.breakButton.addEventListener("click", () => this.act(() => this.takeBreak()));
    this.offlineButton.addEventListener("click", () => this.act(() => api<AgentStatus>("POST", "/api/agent/logout")));
    this.knowledge = new KnowledgePanel(hub);
    this.el = h("div", { class: "console agent" },
      h("h2", { class: "visually-hidden" }, `Agent console for ${session.displayName}`),
      this.knowledge.pinned,
      h("section", { id: "state-bar", class: "card state-bar", "aria-labelledby": "state-title" },
        h("h3", { id: "state-title" }, "My state"),
        h("p", { role: "status", "aria-live": "polite" }, this.stateLabel, " ", this.stateTimer),
        h("div", { class: "controls" },
          this.availableButton,
          field("Break reason", this.breakReason),
          this.breakButton,
          this.offlineButton),
        this.softphone.el),
      this.messages.el,
      this.offerPanel,
      this.callPanel,
      this.texts.el,
      this.wrapUpPanel,
      this.knowledge.el);

    this.handlers = [
      ["ready", () => void this.refresh()],
      ["stateChanged", () => void this.refresh()],
      ["offered", () => void this.refresh()],
    ];
    for (const [name, handler] of this.handlers) hub.on(name, handler);
    this.ticker = window.setInterval(() => this.tick(), 250);
    // The hub pushes every change; polling only covers a lost push or a reconnect.
    this.poller = window.setInterval(() => void this.refresh(), 3000);
    const pending = sessionStorage.getItem(this.wrapUpKey);
    if (pending) this.showWrapUp(pending);
    void this.refresh();
  }

  // Per agent, so a colleague signing in on the same browser tab never sees someone else's unfinished wrap-up.
  private get wrapUpKey(): string {
    return `callcenter.pendingWrapUp.${this.session.workNumber}`;
  }

  dispose(): void {
    window.clearInterval(this.ticker);
    window.clearInterval(this.poller);
    for (const [name, handler] of this.handlers) this.hub.off(name, handler);
    this.knowledge.dispose();
    this.softphone.dispose();
  }

  private async act(action: () => Promise<unknown>): Promise<void> {
    this.messages.clear();
    try {
      const result = await action();
      if (result && typeof result === "object" && "state" in result) this.applyStatus(result as AgentStatus);
      await this.refresh();
    } catch (e) {
      this.messages.error(e instanceof Error ? e.message : String(e));
      await this.refresh();
    }
  }

  private async goAvailable(): Promise<AgentStatus> {
    if (this.status?.state === "Offline") return api<AgentStatus>("POST", "/api/agent/login");
    return api<AgentStatus>("POST", "/api/agent/state", { state: "Available" });
  }

  private async takeBreak(): Promise<AgentStatus> {
    if (this.status?.state === "Offline") await api<AgentStatus>("POST", "/api/agent/login");
    return api<AgentStatus>("POST", "/api/agent/state", { state: "Break", reason: this.breakReason.value });
  }

  private refreshing: Promise<void> | null = null;

  private refresh(): Promise<void> {
    // One refresh at a time: pushes and the poller often arrive together.
    this.refreshing ??= this.load().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    try {
      const status = await api<AgentStatus>("GET", "/api/agent/me");
      this.applyStatus(status);
      const offered = status.state === "Reserved" || (status.texts ?? []).some((t) => !t.accepted);
      const offer = offered ? (await api<Offer | undefined>("GET", "/api/agent/offer")) ?? null : null;
      this.applyOffer(offer);
    } catch (e) {
      if (e instanceof ApiError && e.problem.status === 401) location.reload();
      else this.messages.error(e instanceof Error ? e.message : String(e));
    }
  }

  private applyStatus(status: AgentStatus): void {
    const previous = this.status;
    if (!previous || previous.state !== status.state || previous.since !== status.since) this.stateSeenAt = Date.now();
    this.status = status;
    const label = status.state === "Break" && status.breakReason ? `${stateNames.Break} (${status.breakReason})` : stateNames[status.state];
    this.stateLabel.textContent = label;
    this.stateLabel.dataset.state = status.state;
    const s = status.state;
    this.availableButton.disabled = !(s === "Offline" || s === "Break" || s === "WrapUp");
    this.breakButton.disabled = !(s === "Offline" || s === "Available" || s === "WrapUp" || s === "OnText");
    this.texts.update(status.texts ?? []);
    this.offlineButton.disabled = !(s === "Available" || s === "Break");
    this.softphone.setAnswering(s === "Available" || s === "Reserved" || s === "OnCall");
    if (previous?.state === "OnCall" && s !== "OnCall") this.softphone.hangUp();

    if (s === "OnCall" && status.callSid) {
      if (this.callPanel.hidden || this.callPanel.dataset.callSid !== status.callSid) this.showCall(status.callSid);
    } else if (!this.callPanel.hidden) {
      const ended = this.callPanel.dataset.callSid;
      this.callPanel.hidden = true;
      // The call ended (here or by the caller hanging up): its wrap-up is now due.
      if (ended) this.showWrapUp(ended);
    }
  }

  private applyOffer(offer: Offer | null): void {
    if (offer?.callSid === this.offer?.callSid) return;
    this.offer = offer;
    if (!offer) {
      this.offerPanel.hidden = true;
      this.offerPanel.replaceChildren();
      return;
    }
    this.offerSeenAt = Date.now();
    void this.knowledge.suggestFor(offer.callSid);
    const pop = offer.screenPop;
    const accept = h("button", { type: "button", id: "accept", class: "primary" }, isTextRequest(offer.callSid) ? "Accept request" : "Accept call");
    const decline = h("button", { type: "button", id: "decline", class: "secondary" }, "Decline");
    accept.addEventListener("click", () => this.act(async () => {
      accept.disabled = true;
      // Before the request: the hub's "on a call" push can arrive before the answer, and the call panel shows this offer's caller.
      this.lastOffer = offer;
      await api("POST", `/api/agent/offers/${encodeURIComponent(offer.callSid)}/accept`);
    }).finally(() => (accept.disabled = false)));
    decline.addEventListener("click", () => this.act(() => api("POST", `/api/agent/offers/${encodeURIComponent(offer.callSid)}/decline`)));
    const row = (name: string, value: string) => [h("dt", {}, name), h("dd", {}, value)];
    this.offerPanel.replaceChildren(
      h("h3", { id: "offer-title" }, isTextRequest(offer.callSid) ? "Incoming text request" : "Incoming call"),
      h("p", {}, "Answer within ", this.ringTimer, " seconds"),
      h("dl", { class: "screen-pop", "aria-label": "Screen pop" },
        ...row("Caller", pop.caller || "withheld"),
        ...row("Queue", offer.queue),
        ...row("Waited", `${Math.round(offer.waitedSeconds)} s`),
        ...row("Language", pop.language ?? "unknown"),
        ...row("Verified by IVR", pop.verified ? "Yes" : "No"),
        ...row("Customer tier", pop.customerTier ?? "not known"),
        ...row("Asked for", pop.request ?? "an agent"),
        ...row("IVR path", pop.ivrPath.length ? pop.ivrPath.join(" · ") : "none"),
        ...row("Self-service", pop.selfService.length ? pop.selfService.join("; ") : "none"),
        ...row("Complaint", pop.complaint ? "Yes" : "No"),
        ...row(`Contacts in the last ${pop.previousContactsDays} days`, String(pop.previousContacts))),
      h("div", { class: "controls" }, accept, decline));
    this.offerPanel.hidden = false;
    this.tick();
    accept.focus();
  }

  private lastOffer: Offer | null = null;

  private showCall(callSid: string): void {
    this.callStartedAt = Date.now();
    this.callPanel.dataset.callSid = callSid;
    const end = h("button", { type: "button", id: "end-call", class: "danger" }, "End call");
    end.addEventListener("click", () => this.act(() => api("POST", `/api/agent/calls/${encodeURIComponent(callSid)}/end`)));
    const pop = this.lastOffer?.callSid === callSid ? this.lastOffer.screenPop : null;
    this.callPanel.replaceChildren(
      h("h3", { id: "call-title" }, "On a call"),
      h("p", {}, `Caller ${pop?.caller ?? ""} · call ${callSid} · `, this.talkTimer),
      h("p", { class: "muted" }, this.softphone.registered
        ? "Audio: the call is in this browser."
        : "No-audio mode: the caller is connected to your softphone client; this console drives the call through the agent API."),
      h("div", { class: "controls" }, this.recordingToggle(callSid), end),
      callbackMessagePanel(callSid) ?? "",
      inCallControls(callSid, this.messages, () => void this.refresh(), (muted) => this.softphone.mute(muted)));
    this.callPanel.hidden = false;
    end.focus();
  }

  /** Pause while the caller reads out a card number or PIN; the state comes from the server, never assumed. */
  private recordingToggle(callSid: string): HTMLElement {
    const path = `/api/agent/calls/${encodeURIComponent(callSid)}/recording`;
    const button = h("button", { type: "button", id: "recording-toggle", class: "secondary", "aria-pressed": "false" }, "Pause recording");
    const status = h("span", { id: "recording-status", role: "status" }, "Recording");
    const show = (state: RecordingState) => {
      button.setAttribute("aria-pressed", String(state.paused));
      button.textContent = state.paused ? "Resume recording" : "Pause recording";
      status.textContent = state.paused ? `Recording paused (${state.reason ?? "card or PIN details"})` : "Recording";
      status.classList.toggle("warning", state.paused);
    };
    button.addEventListener("click", async () => {
      this.messages.clear();
      const pausing = button.getAttribute("aria-pressed") !== "true";
      try {
        show(await api<RecordingState>("POST", `${path}/${pausing ? "pause" : "resume"}`, pausing ? { reason: "card or PIN details" } : undefined));
      } catch (e) {
        this.messages.error(e instanceof Error ? e.message : String(e));
      }
    });
    api<RecordingState>("GET", path).then(show, () => { /* the call may already be over */ });
    return h("span", { class: "recording" }, button, " ", status);
  }

  private showWrapUp(callSid: string): void {
    if (!this.wrapUpPanel.hidden && this.wrapUpPanel.dataset.callSid === callSid) return;
    sessionStorage.setItem(this.wrapUpKey, callSid);
    this.wrapUpPanel.dataset.callSid = callSid;
    const messages = messageArea("wrap-up-messages");
    const disposition = select("disposition", dispositions, { required: true });
    const family = select("reasonFamily", reasonFamilies);
    const resolved = h("input", { type: "checkbox", name: "resolved", id: "resolved" });
    const notes = h("textarea", { name: "notes", rows: 3, maxlength: 2000 });
    const form = h("form", { "aria-labelledby": "wrap-up-title" },
      h("h3", { id: "wrap-up-title" }, `Wrap up call ${callSid}`),
      field("Disposition", disposition),
      field("Reason family", family),
      h("div", { class: "field checkbox" }, resolved, h("label", { for: "resolved" }, "Resolved on this call")),
      field("Notes", notes),
      h("button", { type: "submit", class: "primary" }, "Save wrap-up"),
      messages.el);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      messages.clear();
      // The API checks the disposition too; the browser's own check only saves a round trip.
      try {
        await api("POST", `/api/agent/calls/${encodeURIComponent(callSid)}/wrap-up`, {
          disposition: disposition.value, reasonFamily: family.value || null, resolved: resolved.checked, notes: notes.value || null,
        });
        sessionStorage.removeItem(this.wrapUpKey);
        this.wrapUpPanel.hidden = true;
        this.wrapUpPanel.replaceChildren();
        delete this.wrapUpPanel.dataset.callSid;
        this.messages.info(`Wrap-up of ${callSid} saved.`);
        await this.refresh();
      } catch (e) {
        messages.error(e instanceof Error ? e.message : String(e));
      }
    });
    this.wrapUpPanel.replaceChildren(form);
    this.wrapUpPanel.hidden = false;
    disposition.focus();
  }

  private tick(): void {
    const since = this.status?.since ? Date.parse(this.status.since) : NaN;
    // The server's "since" when it is plausible; otherwise (a clock more than a shift away, as in tests) the moment this console saw the change.
    const start = Number.isFinite(since) && since <= Date.now() && Date.now() - since < 43_200_000 ? since : this.stateSeenAt;
    this.stateTimer.textContent = clock((Date.now() - start) / 1000);
    if (this.offer) {
      const ring = (Date.parse(this.offer.ringDeadline) - Date.parse(this.offer.offeredAt)) / 1000;
      this.ringTimer.textContent = String(Math.max(0, Math.ceil(ring - (Date.now() - this.offerSeenAt) / 1000)));
    }
    if (!this.callPanel.hidden) this.talkTimer.textContent = clock((Date.now() - this.callStartedAt) / 1000);
  }
}
