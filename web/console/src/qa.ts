// The QA console: find recorded calls (filters and words spoken), hear one with its transcript and event timeline,
// and score it with a form. Every request is the documented /api/qa and /api/archive API; playback streams through
// the archive's Range endpoint, so the browser fetches (and the server audits) only what is played.
import { api, type Session } from "./api";
import { h, field, select, clock, messageArea } from "./dom";

interface Phrase { channel: number | null; speaker: number | null; offsetMs: number; durationMs: number; locale: string | null; text: string }
interface CallHit {
  archiveNumber: number; callSid: string; agent: string | null; queue: string | null; callStartedAt: string; durationSeconds: number;
  callerNumber: string; disposition: string | null; reasonFamily: string | null; complaint: boolean; evaluations: number;
  transcript: string; matchedPhrase: Phrase | null;
}
interface Transcript { archiveNumber: number; callSid: string; status: string; detail: string | null; phrases: Phrase[] }
interface TimelineEntry { seq: number; type: string; occurredAt: string; secondsFromStart: number; details: Record<string, string> }
interface Criterion { key: string; label: string; weight: number; fatal: boolean }
interface Form { id: number; name: string; version: number; criteria: Criterion[] }
interface Evaluation { id: number; total: number; grade: string; fatalFailed: boolean; form: Form }

/** Twilio records the caller's leg on channel 0 and the agent's on channel 1. */
const channelName = (c: number | null) => (c === 0 ? "Caller" : c === 1 ? "Agent" : "Both");
/** Who spoke: the channel, and the voice Azure told apart within it when speaker separation is on (a transfer's third party). */
const speakerName = (p: Phrase) => (p.speaker === null ? channelName(p.channel) : `${channelName(p.channel)} · speaker ${p.speaker}`);

export class QaView {
  readonly el: HTMLElement;
  private readonly messages = messageArea("qa-messages");
  private readonly results = h("tbody", { id: "qa-results" });
  private readonly player = h("section", { id: "qa-player", class: "card", "aria-labelledby": "qa-player-title", hidden: true });
  private readonly filters = {
    from: h("input", { type: "date", name: "from" }),
    to: h("input", { type: "date", name: "to" }),
    queue: h("input", { type: "text", name: "queue", maxlength: 64 }),
    agent: h("input", { type: "text", name: "agent", maxlength: 64 }),
    disposition: h("input", { type: "text", name: "disposition", maxlength: 200 }),
    reasonFamily: h("input", { type: "text", name: "reasonFamily", maxlength: 200 }),
    minDuration: h("input", { type: "number", name: "minDuration", min: 0 }),
    maxDuration: h("input", { type: "number", name: "maxDuration", min: 0 }),
    complaint: select("complaint", [["", "Any"], ["true", "Complaints only"], ["false", "No complaint"]]),
    scored: select("scored", [["", "Any"], ["unscored", "Not scored yet"], ["scored", "Scored"]]),
    words: h("input", { type: "search", name: "words", maxlength: 200, placeholder: "年费, annual fee" }),
  };

  constructor(private readonly session: Session) {
    const f = this.filters;
    const form = h("form", { id: "qa-search", "aria-labelledby": "qa-search-title" },
      h("h3", { id: "qa-search-title" }, "Find recorded calls"),
      h("div", { class: "qa-filters" },
        field("Words spoken", f.words), field("From", f.from), field("To", f.to), field("Queue", f.queue), field("Agent", f.agent),
        field("Disposition", f.disposition), field("Reason family", f.reasonFamily), field("Shortest (s)", f.minDuration),
        field("Longest (s)", f.maxDuration), field("Complaint", f.complaint), field("Score status", f.scored)),
      h("button", { type: "submit" }, "Search calls"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.search();
    });
    const th = (text: string) => h("th", { scope: "col" }, text);
    this.el = h("div", { id: "qa-console" },
      h("section", { class: "card", "aria-labelledby": "qa-search-title" }, form, this.messages.el,
        h("table", { id: "qa-results-table" },
          h("thead", {}, h("tr", {}, th("Recording"), th("Started"), th("Agent"), th("Queue"), th("Caller"), th("Length"),
            th("Disposition"), th("Complaint"), th("Scores"), th("Words heard"), th("Action"))),
          this.results)),
      this.player);
  }

  dispose(): void {
    this.player.querySelector("audio")?.pause();
  }

  private async search(): Promise<void> {
    this.messages.clear();
    const query = new URLSearchParams();
    for (const [name, control] of Object.entries(this.filters)) {
      const value = control.value.trim();
      if (!value) continue;
      // Dates are local days, both included; the API takes instants and an exclusive end.
      if (name === "from" || name === "to") {
        const day = new Date(`${value}T00:00:00`);
        if (name === "to") day.setDate(day.getDate() + 1);
        query.set(name, day.toISOString());
      } else query.set(name, value);
    }
    try {
      const hits = await api<CallHit[]>("GET", `/api/qa/calls?${query}`);
      this.results.replaceChildren(...hits.map((hit) => this.row(hit)));
      this.messages.info(hits.length === 0 ? "No recorded call matches." : `${hits.length} recorded call${hits.length === 1 ? "" : "s"}.`);
    } catch (e) {
      this.messages.error(e instanceof Error ? e.message : String(e));
    }
  }

  private row(hit: CallHit): HTMLElement {
    const open = h("button", { type: "button" }, "Open");
    open.addEventListener("click", () => void this.open(hit));
    const caller = h("td", { class: "caller" }, hit.callerNumber);
    if (this.session.role === "Supervisor") {
      const reveal = h("button", { type: "button", class: "secondary" }, "Show number");
      reveal.addEventListener("click", async () => {
        try {
          // Unmasking is a supervisor's act, written to the operation log by the server.
          caller.replaceChildren((await api<{ number: string }>("POST", `/api/qa/calls/${hit.callSid}/caller-number`)).number);
        } catch (e) {
          this.messages.error(e instanceof Error ? e.message : String(e));
        }
      });
      caller.append(" ", reveal);
    }
    const heard = hit.matchedPhrase ? `${clock(hit.matchedPhrase.offsetMs / 1000)} ${speakerName(hit.matchedPhrase)}: ${hit.matchedPhrase.text}` : "";
    return h("tr", { "data-archive-number": String(hit.archiveNumber) },
      h("td", {}, `#${hit.archiveNumber}`), h("td", {}, new Date(hit.callStartedAt).toLocaleString()), h("td", {}, hit.agent ?? ""),
      h("td", {}, hit.queue ?? ""), caller, h("td", {}, clock(hit.durationSeconds)), h("td", {}, hit.disposition ?? ""),
      h("td", {}, hit.complaint ? "Complaint" : ""), h("td", {}, String(hit.evaluations)), h("td", { class: "matched" }, heard), h("td", {}, open));
  }

  private async open(hit: CallHit): Promise<void> {
    this.messages.clear();
    this.dispose();
    try {
      const [transcript, timeline, forms] = await Promise.all([
        api<Transcript>("GET", `/api/qa/recordings/${hit.archiveNumber}/transcript`),
        api<TimelineEntry[]>("GET", `/api/qa/calls/${hit.callSid}/timeline`),
        api<Form[]>("GET", "/api/qa/forms"),
      ]);
      this.renderPlayer(hit, transcript, timeline, forms);
    } catch (e) {
      this.messages.error(e instanceof Error ? e.message : String(e));
    }
  }

  private renderPlayer(hit: CallHit, transcript: Transcript, timeline: TimelineEntry[], forms: Form[]): void {
    // preload=metadata: the browser asks for the header with a Range request and the rest as it plays.
    const audio = h("audio", { id: "qa-audio", controls: true, preload: "metadata", src: `/api/archive/recordings/${hit.archiveNumber}/audio` });
    const lines = transcript.phrases.map((p) => {
      const line = h("li", { "data-offset-ms": String(p.offsetMs), "data-channel": String(p.channel ?? ""), "data-speaker": String(p.speaker ?? ""), class: `channel-${p.channel ?? "both"}` },
        h("button", { type: "button", class: "link", "aria-label": `Play from ${clock(p.offsetMs / 1000)}` }, clock(p.offsetMs / 1000)),
        ` ${speakerName(p)}: `, p.text);
      line.querySelector("button")!.addEventListener("click", () => {
        audio.currentTime = p.offsetMs / 1000;
        void audio.play().catch(() => undefined);
      });
      return line;
    });
    // The line being spoken follows the audio's clock; both channels' lines can be current at once (people talk over each other).
    const follow = () => {
      const ms = audio.currentTime * 1000;
      transcript.phrases.forEach((p, i) => {
        const current = ms >= p.offsetMs && ms < p.offsetMs + p.durationMs;
        lines[i].classList.toggle("current", current);
        if (current) lines[i].setAttribute("aria-current", "true");
        else lines[i].removeAttribute("aria-current");
      });
    };
    audio.addEventListener("timeupdate", follow);
    audio.addEventListener("seeked", follow);

    const transcriptBody = transcript.phrases.length > 0
      ? h("ol", { id: "qa-transcript" }, ...lines)
      : h("p", { id: "qa-transcript" }, `Transcript ${transcript.status}${transcript.detail ? `: ${transcript.detail}` : "."}`);
    const events = h("ol", { id: "qa-timeline" }, ...timeline.map((e) =>
      h("li", {}, `+${clock(e.secondsFromStart)} ${e.type}`,
        ...Object.entries(e.details).map(([k, v]) => h("span", { class: "detail" }, ` ${k}=${v}`)))));

    this.player.hidden = false;
    this.player.replaceChildren(
      h("h3", { id: "qa-player-title" }, `Recording #${hit.archiveNumber} · ${hit.agent ?? "no agent"} · ${hit.queue ?? ""} · ${hit.callerNumber}`),
      audio,
      this.channelLanes(transcript.phrases, hit.durationSeconds),
      h("div", { class: "qa-columns" },
        h("div", {}, h("h4", {}, "Transcript"), transcriptBody),
        h("div", {}, h("h4", {}, "Call timeline"), events)),
      this.scoreForm(hit, forms, audio));
  }

  /** Both channels as lanes along the recording: where the caller and the agent speak. */
  private channelLanes(phrases: Phrase[], durationSeconds: number): HTMLElement {
    const total = Math.max(durationSeconds * 1000, ...phrases.map((p) => p.offsetMs + p.durationMs), 1);
    const lane = (channel: number) => h("div", { class: "lane", "data-channel": String(channel) },
      h("span", { class: "lane-name" }, channelName(channel)),
      h("div", { class: "lane-track" }, ...phrases.filter((p) => p.channel === channel || p.channel === null).map((p) =>
        h("span", { class: "speech", style: `left:${(100 * p.offsetMs) / total}%;width:${Math.max((100 * p.durationMs) / total, 0.5)}%`, title: p.text }))));
    return h("div", { id: "qa-channels", "aria-label": "Who speaks when, per channel" }, lane(0), lane(1));
  }

  private scoreForm(hit: CallHit, forms: Form[], audio: HTMLAudioElement): HTMLElement {
    const messages = messageArea("qa-score-messages");
    if (forms.length === 0) return h("section", { id: "qa-score" }, h("p", {}, "No scoring form yet: a supervisor creates one."));
    const chooser = select("form", forms.map((f) => [String(f.id), `${f.name} (version ${f.version})`]));
    const criteria = h("div", { id: "qa-criteria" });
    const summary = h("textarea", { name: "summary", rows: 2, maxlength: 2000 });
    const comment = h("input", { type: "text", name: "comment", maxlength: 2000 });
    const comments: { offsetMs: number; text: string }[] = [];
    const commentList = h("ul", { id: "qa-comments" });
    const addComment = h("button", { type: "button", class: "secondary" }, "Comment at current time");
    addComment.addEventListener("click", () => {
      const text = comment.value.trim();
      if (!text) return;
      const offsetMs = Math.round(audio.currentTime * 1000);
      comments.push({ offsetMs, text });
      commentList.append(h("li", {}, `${clock(offsetMs / 1000)} ${text}`));
      comment.value = "";
    });
    const renderCriteria = () => {
      const form = forms.find((f) => String(f.id) === chooser.value)!;
      criteria.replaceChildren(...form.criteria.map((c) => c.fatal
        ? field(`${c.label} (fatal: failing it scores 0)`, select(`c-${c.key}`, [["pass", "Passed"], ["fail", "Failed"]], { "data-key": c.key, "data-fatal": "true" }))
        : field(`${c.label} (weight ${c.weight}, 0–100)`, h("input", { type: "number", name: `c-${c.key}`, min: 0, max: 100, required: true, "data-key": c.key }))));
    };
    chooser.addEventListener("change", renderCriteria);
    renderCriteria();
    const form = h("form", { id: "qa-score", "aria-labelledby": "qa-score-title" },
      h("h4", { id: "qa-score-title" }, "Score this call"),
      field("Scoring form", chooser), criteria, field("Summary", summary),
      field("Comment", comment), addComment, commentList,
      h("button", { type: "submit" }, "Submit score"), messages.el);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      messages.clear();
      const answers = [...criteria.querySelectorAll<HTMLInputElement | HTMLSelectElement>("[data-key]")].map((control) =>
        control.dataset.fatal ? { key: control.dataset.key, passed: control.value === "pass" } : { key: control.dataset.key, points: Number(control.value) });
      try {
        const result = await api<Evaluation>("POST", "/api/qa/evaluations",
          { archiveNumber: hit.archiveNumber, formId: Number(chooser.value), answers, summary: summary.value.trim() || null, comments });
        messages.info(`Scored ${result.total} (${result.grade}${result.fatalFailed ? ", fatal item failed" : ""}) with ${result.form.name} version ${result.form.version}.`);
      } catch (e) {
        messages.error(e instanceof Error ? e.message : String(e));
      }
    });
    return form;
  }
}
