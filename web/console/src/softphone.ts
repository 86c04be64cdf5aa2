// The agent's audio through the Twilio Voice JS SDK. Off by default (tests and demos run without audio and drive the same
// agent API); switched on per browser. The server mints the access token (identity agent-<work number>); the SDK registers
// with Twilio's signalling, the conference leg the server dials after an accepted offer rings here and is answered at once,
// and the token is renewed before it expires.
import { Device, type Call } from "@twilio/voice-sdk";
import { api, ApiError } from "./api";
import { h } from "./dom";

interface VoiceToken { token: string; identity: string; expiresAt: string }

const storageKey = "callcenter.audio";
// Ask for a new token this long before the old one runs out (the SDK's tokenWillExpire).
const refreshBeforeMs = 60_000;

export class Softphone {
  readonly el: HTMLElement;
  private readonly status = h("span", { id: "audio-mode", role: "status", "aria-live": "polite" }, "Audio: checking…");
  private readonly toggle = h("input", { type: "checkbox", id: "audio-toggle" }) as HTMLInputElement;
  private device: Device | null = null;
  private call: Call | null = null;
  private answering = false;

  constructor() {
    this.toggle.checked = localStorage.getItem(storageKey) === "on";
    this.toggle.addEventListener("change", () => {
      localStorage.setItem(storageKey, this.toggle.checked ? "on" : "off");
      void (this.toggle.checked ? this.enable() : this.disable("Audio: off (no-audio mode; the console drives the call through the API)."));
    });
    this.el = h("div", { class: "audio" },
      h("label", { for: "audio-toggle" }, this.toggle, " Audio in this browser (Twilio Voice)"), " ", this.status);
    if (this.toggle.checked) void this.enable();
    else this.status.textContent = "Audio: off (no-audio mode; the console drives the call through the API).";
  }

  /** True while the SDK is registered and calls ring in this browser. */
  get registered(): boolean { return this.device?.state === Device.State.Registered; }

  /**
   * Whether a conference leg ringing now is the agent's own to answer at once: the server dials an agent's client only after
   * they accepted an offer (Reserved) or when they join a call (Available: a transfer target or an added party; OnCall).
   */
  setAnswering(on: boolean): void {
    this.answering = on;
  }

  /** Mirrors the conference mute in the browser, so the microphone is really closed. */
  mute(muted: boolean): void {
    this.call?.mute(muted);
  }

  /** The call is over for this agent: hang up the browser's leg if Twilio has not already. */
  hangUp(): void {
    this.call?.disconnect();
    this.call = null;
  }

  dispose(): void {
    void this.disable("");
  }

  private async enable(): Promise<void> {
    let token: VoiceToken;
    try {
      token = await this.fetchToken();
    } catch (e) {
      this.toggle.checked = false;
      this.status.textContent = e instanceof ApiError && e.problem.status === 404
        ? "Audio: not available (this server has no Twilio Voice credentials); no-audio mode."
        : `Audio: unavailable — ${e instanceof Error ? e.message : String(e)}`;
      return;
    }
    const device = new Device(token.token, { tokenRefreshMs: refreshBeforeMs, closeProtection: true, logLevel: "warn" });
    this.device = device;
    device.on("registering", () => { this.status.textContent = `Audio: registering ${token.identity}…`; });
    device.on("registered", () => { this.status.textContent = `Audio: registered as ${token.identity}.`; });
    device.on("unregistered", () => { if (this.device === device) this.status.textContent = "Audio: not registered."; });
    device.on("error", (error: { code?: number; message?: string }) => {
      this.status.textContent = `Audio error ${error.code ?? ""}: ${error.message ?? "unknown"}`;
    });
    device.on("tokenWillExpire", () => void this.renew(device));
    device.on("incoming", (call: Call) => this.incoming(call));
    this.status.textContent = `Audio: connecting ${token.identity}…`;
    try {
      await device.register();
    } catch (e) {
      this.status.textContent = `Audio error: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  private async renew(device: Device): Promise<void> {
    try {
      const token = await this.fetchToken();
      device.updateToken(token.token);
      this.status.textContent = `Audio: registered as ${token.identity} (token renewed until ${new Date(token.expiresAt).toLocaleTimeString()}).`;
    } catch (e) {
      this.status.textContent = `Audio error: the token could not be renewed — ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  private incoming(call: Call): void {
    // Only the leg the server dials for a call the agent took; anything else is refused rather than left ringing.
    if (!this.answering || this.call) {
      call.reject();
      return;
    }
    this.call = call;
    call.on("disconnect", () => { if (this.call === call) this.call = null; });
    call.on("error", (error: { code?: number; message?: string }) => {
      this.status.textContent = `Audio error ${error.code ?? ""} on the call: ${error.message ?? "unknown"}`;
    });
    call.accept();
  }

  private async disable(message: string): Promise<void> {
    this.call = null;
    const device = this.device;
    this.device = null;
    device?.destroy();
    if (message) this.status.textContent = message;
  }

  private fetchToken(): Promise<VoiceToken> {
    return api<VoiceToken>("POST", "/api/agent/voice-token");
  }
}
