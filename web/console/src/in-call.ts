// In-call controls for the agent (hold, mute, transfer, three-way call, DTMF pad) and the supervisor's
// listen-in / whisper / barge. Every button is one call to /api/agent/calls/{callSid}/… or
// /api/supervisor/calls/{callSid}/monitor; the server decides, and its refusals are shown as they come.
import { api } from "./api";
import { h, field, select } from "./dom";

/** GET /api/agent/calls/{callSid} and the answer of every in-call command. */
export interface InCallView {
  callSid: string;
  phase: "Talking" | "Held" | "Consulting" | "Conference" | "Ended";
  owner: string;
  callerHeld: boolean;
  muted: boolean;
  parties: { label: string; kind: "Agent" | "Number"; target: string }[];
  consulting: string | null;
  /** The agent's softphone left the call on its own (browser closed, network lost): the caller is held with music. */
  agentDropped: boolean;
}

interface Messages { error(text: string): void; info(text: string): void; clear(): void }

const phaseNames: Record<InCallView["phase"], string> = {
  Talking: "Talking with the caller",
  Held: "Caller on hold",
  Consulting: "Consulting the transfer target (caller on hold)",
  Conference: "Conference call",
  Ended: "The call has left you",
};

const keypad = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

/**
 * The agent's in-call panel for one call. <paramref name="changed"/> runs after a command that may have moved the
 * call away from the agent (a transfer), so the console reloads its state.
 */
export function inCallControls(callSid: string, messages: Messages, changed: () => void, muted?: (muted: boolean) => void): HTMLElement {
  const path = `/api/agent/calls/${encodeURIComponent(callSid)}`;
  const status = h("p", { id: "in-call-status", role: "status" }, "Checking the call…");
  const hold = h("button", { type: "button", id: "hold-toggle", class: "secondary", "aria-pressed": "false" }, "Hold");
  const mute = h("button", { type: "button", id: "mute-toggle", class: "secondary", "aria-pressed": "false" }, "Mute");

  const mode = select("transferMode", [["Cold", "Cold (at once)"], ["Warm", "Warm (talk to them first)"]], { id: "transfer-mode" });
  const kind = select("transferKind", [["Agent", "Agent (work number)"], ["Queue", "Queue"], ["Number", "Outside number (E.164)"]], { id: "transfer-kind" });
  const target = h("input", { id: "transfer-target", name: "transferTarget", maxlength: 32, autocomplete: "off", placeholder: "G1002, cards or +8621…" });
  const reason = h("input", { id: "transfer-reason", name: "transferReason", maxlength: 200, autocomplete: "off" });
  const transfer = h("button", { type: "submit", id: "transfer-button" }, "Transfer");
  const complete = h("button", { type: "button", id: "transfer-complete", hidden: true }, "Complete transfer");
  const cancel = h("button", { type: "button", id: "transfer-cancel", class: "secondary", hidden: true }, "Cancel transfer");
  const transferForm = h("form", { id: "transfer-form", class: "controls", "aria-labelledby": "transfer-title" },
    h("h4", { id: "transfer-title" }, "Transfer"),
    field("Mode", mode), field("Transfer to", kind), field("Target", target), field("Reason (optional)", reason), transfer, complete, cancel);

  const partyKind = select("partyKind", [["Agent", "Agent (work number)"], ["Number", "Outside number (E.164)"]], { id: "party-kind" });
  const partyTarget = h("input", { id: "party-target", name: "partyTarget", maxlength: 32, autocomplete: "off" });
  const addParty = h("button", { type: "submit", id: "add-party" }, "Add to call");
  const parties = h("ul", { id: "parties", "aria-label": "Others on the call" });
  const partyForm = h("form", { id: "party-form", class: "controls", "aria-labelledby": "party-title" },
    h("h4", { id: "party-title" }, "Conference"), field("Add", partyKind), field("Who", partyTarget), addParty);

  const pad = h("div", { id: "dtmf-pad", class: "keypad", role: "group", "aria-label": "Keypad: send digits to the outside party" },
    ...keypad.map((key) => {
      const button = h("button", { type: "button", class: "secondary", "data-digit": key, "aria-label": `Send digit ${key}` }, key);
      button.addEventListener("click", () => void run("POST", "/digits", { digits: key }));
      return button;
    }));

  // Shown while the server says the softphone dropped off the call; the way back is one click (POST …/rejoin).
  const rejoin = h("button", { type: "button", id: "rejoin-call", class: "primary" }, "Rejoin call");
  const dropped = h("div", { id: "agent-dropped", class: "dropped-banner", role: "alert", hidden: true },
    h("strong", {}, "Your softphone left this call."),
    " The caller is on hold and hears music. Rejoin to be dialled back in, then resume the caller; or end the call to hang up. ",
    rejoin);
  rejoin.addEventListener("click", () => void run("POST", "/rejoin"));

  let view: InCallView | null = null;
  const show = (v: InCallView) => {
    view = v;
    dropped.hidden = !(v.agentDropped && v.phase !== "Ended");
    status.textContent = phaseNames[v.phase] + (v.parties.length ? ` · with ${v.parties.map((p) => p.target).join(", ")}` : "");
    hold.setAttribute("aria-pressed", String(v.callerHeld));
    hold.textContent = v.callerHeld ? "Resume caller" : "Hold";
    mute.setAttribute("aria-pressed", String(v.muted));
    mute.textContent = v.muted ? "Unmute" : "Mute";
    const consulting = v.consulting !== null;
    complete.hidden = !consulting;
    cancel.hidden = !consulting;
    transfer.disabled = consulting;
    parties.replaceChildren(...v.parties.map((p) => {
      const drop = h("button", { type: "button", class: "secondary", "aria-label": `Drop ${p.target} from the call` }, "Drop");
      drop.addEventListener("click", () => void run("DELETE", `/parties/${encodeURIComponent(p.label)}`));
      return h("li", { "data-party": p.label }, `${p.target} (${p.kind === "Agent" ? "agent" : "outside number"}) `, p.label === v.consulting ? null : drop);
    }));
  };

  async function run(method: string, suffix: string, body?: unknown): Promise<void> {
    messages.clear();
    try {
      const result = await api<InCallView>(method, path + suffix, body);
      show(result);
      // The conference mute is the record; the browser's microphone follows it when audio is on.
      if (suffix === "/mute" || suffix === "/unmute") muted?.(result.muted);
      if (result.phase === "Ended" || result.owner !== view?.owner || suffix.startsWith("/transfer")) changed();
    } catch (e) {
      messages.error(e instanceof Error ? e.message : String(e));
      api<InCallView>("GET", path).then(show, () => { /* the call may be over */ });
    }
  }

  hold.addEventListener("click", () => void run("POST", view?.callerHeld ? "/resume" : "/hold"));
  mute.addEventListener("click", () => void run("POST", view?.muted ? "/unmute" : "/mute"));
  transferForm.addEventListener("submit", (e) => {
    e.preventDefault();
    void run("POST", "/transfer", { mode: mode.value, targetKind: kind.value, target: target.value.trim(), reason: reason.value.trim() || null });
  });
  complete.addEventListener("click", () => void run("POST", "/transfer/complete"));
  cancel.addEventListener("click", () => void run("POST", "/transfer/cancel"));
  partyForm.addEventListener("submit", (e) => {
    e.preventDefault();
    void run("POST", "/parties", { targetKind: partyKind.value, target: partyTarget.value.trim() });
  });
  api<InCallView>("GET", path).then(show, () => { status.textContent = "No in-call controls for this call."; });

  const panel = h("section", { id: "in-call", class: "in-call", "aria-labelledby": "in-call-title" },
    h("h4", { id: "in-call-title" }, "In-call controls"),
    dropped,
    status,
    h("div", { class: "controls" }, hold, mute),
    transferForm,
    partyForm, parties,
    pad);
  // Others change this call too (a colleague completing a transfer to you, a party hanging up): follow it while shown.
  const follow = window.setInterval(() => {
    if (!panel.isConnected) { window.clearInterval(follow); return; }
    api<InCallView>("GET", path).then(show, () => { /* the call may be over */ });
  }, 2000);
  return panel;
}

/** The supervisor's Listen / Whisper / Barge / Leave buttons for an agent on a call. */
export function monitorControls(callSid: string, who: string, messages: Messages): HTMLElement {
  const path = `/api/supervisor/calls/${encodeURIComponent(callSid)}/monitor`;
  const button = (mode: string, text: string) => {
    const b = h("button", { type: "button", class: "secondary", "data-monitor": mode, "aria-label": `${text} ${who}` }, text);
    b.addEventListener("click", async () => {
      messages.clear();
      try {
        if (mode === "Leave") await api("DELETE", path);
        else await api("POST", path, { mode });
        messages.info(mode === "Leave" ? `You left ${who}'s call.` : `${text}: ${who}'s call (${callSid}).`);
      } catch (e) {
        messages.error(e instanceof Error ? e.message : String(e));
      }
    });
    return b;
  };
  return h("span", { class: "monitor controls" },
    button("Listen", "Listen to"), button("Whisper", "Whisper to"), button("Barge", "Barge in on"), button("Leave", "Leave call of"));
}
