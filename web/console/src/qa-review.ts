// The monthly review desk of the QA console: the month's plan and each reviewer's progress, calibration of reviewers on
// one call, agents' scorecards over months, the month's evaluations (a change after the month closed needs a supervisor
// and a reason), closing the month, and editing scoring forms (a save is a new version). Every action is one call to the
// documented /api/qa API; refusals (403, 409, 400) are shown as the server words them.
import { api, type Session } from "./api";
import { h, field, messageArea } from "./dom";

interface Criterion { key: string; label: string; weight: number; fatal: boolean }
interface Form { id: number; name: string; version: number; criteria: Criterion[] }
interface Answer { key: string; points: number | null; passed: boolean | null }
interface Evaluation {
  id: number; archiveNumber: number; agent: string; reviewer: string; period: string; periodClosed: boolean; form: Form;
  answers: Answer[]; total: number; grade: string; fatalFailed: boolean; summary: string | null; status: string;
}
interface PlanItem { archiveNumber: number; callSid: string; agent: string; queue: string; complaint: boolean; reviewer: string; evaluationId: number | null }
interface Plan { id: number; period: string; perAgent: number; seed: number; createdBy: string; createdAt: string; progress: { reviewer: string; assigned: number; scored: number }[]; items: PlanItem[] }
interface Calibration {
  archiveNumber: number; reviews: { reviewer: string; evaluationId: number; total: number; fatalFailed: boolean }[];
  result: { mean: number; variance: number; spread: number; agreed: boolean } | null;
}
export interface ScorecardMonth { period: string; evaluations: number; average: number | null; lowest: number | null; highest: number | null; fatalFailures: number; grade: string | null }
interface Period { period: string; closed: boolean; closedBy: string | null; closedAt: string | null }

const thisMonth = () => new Date().toISOString().slice(0, 7);
const th = (text: string) => h("th", { scope: "col" }, text);
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** A month's scorecard as a table; shared with the agent's own view. */
export function scorecardTable(id: string, months: ScorecardMonth[]): HTMLElement {
  if (months.length === 0) return h("p", { id }, "No evaluations in these months.");
  return h("table", { id },
    h("thead", {}, h("tr", {}, th("Month"), th("Evaluations"), th("Average"), th("Grade"), th("Lowest"), th("Highest"), th("Fatal failures"))),
    h("tbody", {}, ...months.map((m) => h("tr", { "data-period": m.period },
      h("td", {}, m.period), h("td", {}, String(m.evaluations)), h("td", {}, m.average === null ? "–" : String(m.average)), h("td", {}, m.grade ?? "–"),
      h("td", {}, m.lowest === null ? "–" : String(m.lowest)), h("td", {}, m.highest === null ? "–" : String(m.highest)), h("td", {}, String(m.fatalFailures))))));
}

export class QaReviewDesk {
  readonly el: HTMLElement;
  private readonly supervisor: boolean;

  constructor(session: Session) {
    this.supervisor = session.role === "Supervisor";
    this.el = h("div", { id: "qa-review" },
      this.planSection(), this.evaluationsSection(), this.calibrationSection(), this.scorecardSection(),
      this.supervisor ? this.formsSection() : null);
  }

  // ---- Monthly plan, progress, closing the month ----
  private planSection(): HTMLElement {
    const messages = messageArea("qa-plan-messages");
    const period = h("input", { type: "month", name: "planPeriod", value: thisMonth(), required: true });
    const status = h("p", { id: "qa-period-status" });
    const body = h("div", { id: "qa-plan" });
    const show = h("button", { type: "button" }, "Show plan");
    const load = async () => {
      messages.clear();
      try {
        const p = await api<Period>("GET", `/api/qa/periods/${period.value}`);
        status.textContent = p.closed ? `${p.period} is closed (by ${p.closedBy}, ${new Date(p.closedAt!).toLocaleString()}).` : `${p.period} is open for scoring.`;
        body.replaceChildren(this.planView(await api<Plan>("GET", `/api/qa/plans/${period.value}`)));
      } catch (e) {
        body.replaceChildren();
        messages.error(errorText(e));
      }
    };
    show.addEventListener("click", () => void load());
    const section = h("section", { id: "qa-plan-desk", class: "card", "aria-labelledby": "qa-plan-title" },
      h("h3", { id: "qa-plan-title" }, "Monthly review plan"),
      h("div", { class: "qa-filters" }, field("Review month", period)), show, status);
    if (this.supervisor) {
      const perAgent = h("input", { type: "number", name: "perAgent", min: 1, max: 200, value: "5", required: true });
      const seed = h("input", { type: "number", name: "seed", placeholder: "random" });
      const reviewers = h("input", { type: "text", name: "reviewers", required: true, placeholder: "Q1001, Q1002" });
      const draw = h("form", { id: "qa-plan-draw", "aria-labelledby": "qa-plan-draw-title" },
        h("h4", { id: "qa-plan-draw-title" }, "Draw the month's plan"),
        h("div", { class: "qa-filters" }, field("Calls per agent", perAgent), field("Seed (optional)", seed), field("Reviewers (work numbers)", reviewers)),
        h("button", { type: "submit" }, "Draw plan"));
      draw.addEventListener("submit", async (event) => {
        event.preventDefault();
        messages.clear();
        try {
          const plan = await api<Plan>("POST", "/api/qa/plans", {
            period: period.value, perAgent: Number(perAgent.value), seed: seed.value.trim() ? Number(seed.value) : null,
            reviewers: reviewers.value.split(/[\s,;]+/).filter((r) => r.length > 0),
          });
          body.replaceChildren(this.planView(plan));
          messages.info(`Plan for ${plan.period} drawn: ${plan.items.length} calls, seed ${plan.seed}.`);
        } catch (e) {
          messages.error(errorText(e));
        }
      });
      const close = h("button", { type: "button", class: "secondary" }, "Close review month");
      close.addEventListener("click", async () => {
        messages.clear();
        if (!confirm(`Close ${period.value}? Afterwards only a supervisor changes its scores, with a reason.`)) return;
        try {
          const p = await api<Period>("POST", `/api/qa/periods/${period.value}/close`);
          status.textContent = `${p.period} is closed (by ${p.closedBy}, ${new Date(p.closedAt!).toLocaleString()}).`;
          messages.info(`${p.period} closed: no new scores; changes need a supervisor's reason.`);
        } catch (e) {
          messages.error(errorText(e));
        }
      });
      section.append(draw, close);
    }
    section.append(messages.el, body);
    return section;
  }

  private planView(plan: Plan): HTMLElement {
    const progress = h("table", { id: "qa-plan-progress" },
      h("caption", {}, "Progress per reviewer"),
      h("thead", {}, h("tr", {}, th("Reviewer"), th("Assigned"), th("Scored"), th("Progress"))),
      h("tbody", {}, ...plan.progress.map((p) => h("tr", { "data-reviewer": p.reviewer },
        h("td", {}, p.reviewer), h("td", {}, String(p.assigned)), h("td", {}, String(p.scored)),
        h("td", {}, h("progress", { max: p.assigned, value: p.scored, "aria-label": `${p.reviewer}: ${p.scored} of ${p.assigned} scored` }))))));
    const items = h("table", { id: "qa-plan-items" },
      h("caption", {}, "Sampled calls by agent"),
      h("thead", {}, h("tr", {}, th("Agent"), th("Recording"), th("Queue"), th("Complaint"), th("Reviewer"), th("Status"))),
      h("tbody", {}, ...[...plan.items].sort((a, b) => a.agent.localeCompare(b.agent) || a.archiveNumber - b.archiveNumber).map((i) =>
        h("tr", { "data-archive-number": String(i.archiveNumber) },
          h("td", {}, i.agent), h("td", {}, `#${i.archiveNumber}`), h("td", {}, i.queue), h("td", {}, i.complaint ? "Complaint" : ""),
          h("td", {}, i.reviewer), h("td", {}, i.evaluationId === null ? "To score" : `Scored (evaluation ${i.evaluationId})`)))));
    return h("div", {},
      h("p", {}, `${plan.period}: ${plan.perAgent} per agent, seed ${plan.seed}, drawn by ${plan.createdBy} on ${new Date(plan.createdAt).toLocaleString()}.`),
      progress, items);
  }

  // ---- The month's evaluations, and changing a score ----
  private evaluationsSection(): HTMLElement {
    const messages = messageArea("qa-evaluations-messages");
    const period = h("input", { type: "month", name: "evaluationsPeriod", value: thisMonth() });
    const agent = h("input", { type: "text", name: "evaluationsAgent", maxlength: 64 });
    const list = h("div", { id: "qa-evaluations" });
    const form = h("form", { id: "qa-evaluations-search", "aria-labelledby": "qa-evaluations-title" },
      h("div", { class: "qa-filters" }, field("Month", period), field("Agent (optional)", agent)),
      h("button", { type: "submit" }, "List evaluations"));
    const load = async () => {
      const query = new URLSearchParams();
      if (period.value) query.set("period", period.value);
      if (agent.value.trim()) query.set("agent", agent.value.trim());
      const evaluations = await api<Evaluation[]>("GET", `/api/qa/evaluations?${query}`);
      list.replaceChildren(evaluations.length === 0 ? h("p", {}, "No evaluations.") : h("table", { id: "qa-evaluations-table" },
        h("thead", {}, h("tr", {}, th("Evaluation"), th("Recording"), th("Agent"), th("Reviewer"), th("Total"), th("Form"), th("Agent's answer"), th("Action"))),
        h("tbody", {}, ...evaluations.map((e) => this.evaluationRow(e, messages, load)))));
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      messages.clear();
      try {
        await load();
      } catch (e) {
        messages.error(errorText(e));
      }
    });
    return h("section", { id: "qa-evaluations-desk", class: "card", "aria-labelledby": "qa-evaluations-title" },
      h("h3", { id: "qa-evaluations-title" }, "Evaluations of a month"), form, messages.el, list);
  }

  private evaluationRow(e: Evaluation, messages: ReturnType<typeof messageArea>, reload: () => Promise<void>): HTMLElement {
    const change = h("button", { type: "button", class: "secondary", "aria-label": `Change score of evaluation ${e.id}` }, "Change score");
    const row = h("tr", { "data-evaluation-id": String(e.id) },
      h("td", {}, `${e.id}${e.periodClosed ? " (month closed)" : ""}`), h("td", {}, `#${e.archiveNumber}`), h("td", {}, e.agent), h("td", {}, e.reviewer),
      h("td", { class: "total" }, `${e.total} ${e.grade}${e.fatalFailed ? " (fatal)" : ""}`), h("td", {}, `${e.form.name} v${e.form.version}`),
      h("td", {}, e.status), h("td", {}, change));
    change.addEventListener("click", () => {
      row.parentElement?.querySelectorAll(".qa-change").forEach((r) => r.remove());
      const editor = h("tr", { class: "qa-change" }, h("td", { colspan: 8 }, this.changeForm(e, messages, reload)));
      row.after(editor);
      editor.querySelector<HTMLElement>("input, select")?.focus();
    });
    return row;
  }

  private changeForm(e: Evaluation, messages: ReturnType<typeof messageArea>, reload: () => Promise<void>): HTMLElement {
    const controls = e.form.criteria.map((c) => {
      const a = e.answers.find((x) => x.key === c.key);
      if (c.fatal) {
        const s = h("select", { name: `change-${c.key}`, "data-key": c.key, "data-fatal": "true" },
          h("option", { value: "pass" }, "Passed"), h("option", { value: "fail" }, "Failed"));
        s.value = a?.passed === false ? "fail" : "pass";
        return field(`${c.label} (fatal)`, s);
      }
      return field(`${c.label} (weight ${c.weight}, 0–100)`,
        h("input", { type: "number", name: `change-${c.key}`, min: 0, max: 100, required: true, value: String(a?.points ?? ""), "data-key": c.key }));
    });
    const summary = h("textarea", { name: "changeSummary", rows: 2, maxlength: 2000 });
    summary.value = e.summary ?? "";
    // Not "required" in the browser: whether a reason is needed, and from whom, is the server's rule (a reviewer gets its 403).
    const reason = h("input", { type: "text", name: "changeReason", maxlength: 500 });
    const form = h("form", { class: "qa-change-form", "aria-label": `Change evaluation ${e.id}` },
      h("p", {}, e.periodClosed
        ? `${e.period} is closed: only a supervisor changes this score, and the reason goes in the operation log.`
        : `Scored with ${e.form.name} version ${e.form.version}; the change keeps that version.`),
      ...controls, field("Summary", summary), field(e.periodClosed ? "Reason for the change (required)" : "Reason for the change", reason),
      h("button", { type: "submit" }, "Save changed score"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      messages.clear();
      const answers = [...form.querySelectorAll<HTMLInputElement | HTMLSelectElement>("[data-key]")].map((c) =>
        c.dataset.fatal ? { key: c.dataset.key, passed: c.value === "pass" } : { key: c.dataset.key, points: Number(c.value) });
      try {
        const changed = await api<Evaluation>("PUT", `/api/qa/evaluations/${e.id}`, { answers, summary: summary.value, reason: reason.value.trim() || null });
        await reload();
        messages.info(`Evaluation ${changed.id} changed: ${e.total} → ${changed.total} (${changed.grade}).`);
      } catch (err) {
        messages.error(errorText(err));
      }
    });
    return form;
  }

  // ---- Calibration ----
  private calibrationSection(): HTMLElement {
    const messages = messageArea("qa-calibration-messages");
    const recording = h("input", { type: "number", name: "calibrationRecording", min: 1, required: true });
    const tolerance = h("input", { type: "number", name: "tolerance", min: 0, max: 100, step: "0.5", value: "5" });
    const result = h("div", { id: "qa-calibration" });
    const form = h("form", { id: "qa-calibration-form", "aria-labelledby": "qa-calibration-title" },
      h("div", { class: "qa-filters" }, field("Recording number", recording), field("Tolerance (points)", tolerance)),
      h("button", { type: "submit" }, "Compare reviewers"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      messages.clear();
      try {
        const c = await api<Calibration>("GET", `/api/qa/calibration/${recording.value}?tolerance=${encodeURIComponent(tolerance.value || "5")}`);
        const reviews = h("table", { id: "qa-calibration-reviews" },
          h("thead", {}, h("tr", {}, th("Reviewer"), th("Evaluation"), th("Total"))),
          h("tbody", {}, ...c.reviews.map((r) => h("tr", {}, h("td", {}, r.reviewer), h("td", {}, String(r.evaluationId)),
            h("td", {}, `${r.total}${r.fatalFailed ? " (fatal)" : ""}`)))));
        const verdict = c.result === null
          ? h("p", { id: "qa-calibration-result" }, `Recording #${c.archiveNumber} has ${c.reviews.length} review(s): calibration needs two reviewers.`)
          : h("p", { id: "qa-calibration-result", class: c.result.agreed ? "agreed" : "disagreed" },
            `Mean ${c.result.mean}, variance ${c.result.variance}, spread ${c.result.spread} points: `,
            h("strong", {}, c.result.agreed ? "within tolerance" : "outside tolerance — discuss the form with these reviewers"));
        result.replaceChildren(reviews, verdict);
      } catch (e) {
        result.replaceChildren();
        messages.error(errorText(e));
      }
    });
    return h("section", { id: "qa-calibration-desk", class: "card", "aria-labelledby": "qa-calibration-title" },
      h("h3", { id: "qa-calibration-title" }, "Calibration"),
      h("p", {}, "Two or more reviewers score the same call; a spread above the tolerance means they read the form differently."),
      form, messages.el, result);
  }

  // ---- Scorecards ----
  private scorecardSection(): HTMLElement {
    const messages = messageArea("qa-scorecard-messages");
    const agent = h("input", { type: "text", name: "scorecardAgent", maxlength: 64, required: true });
    const from = h("input", { type: "month", name: "scorecardFrom" });
    const to = h("input", { type: "month", name: "scorecardTo" });
    const result = h("div", { id: "qa-scorecard" });
    const form = h("form", { id: "qa-scorecard-form", "aria-labelledby": "qa-scorecard-title" },
      h("div", { class: "qa-filters" }, field("Agent work number", agent), field("From month", from), field("To month", to)),
      h("button", { type: "submit" }, "Show scorecard"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      messages.clear();
      const query = new URLSearchParams();
      if (from.value) query.set("from", from.value);
      if (to.value) query.set("to", to.value);
      try {
        const months = await api<ScorecardMonth[]>("GET", `/api/qa/scorecards/${encodeURIComponent(agent.value.trim())}?${query}`);
        result.replaceChildren(h("h4", {}, `Scorecard of ${agent.value.trim()}`), scorecardTable("qa-scorecard-table", months));
      } catch (e) {
        result.replaceChildren();
        messages.error(errorText(e));
      }
    });
    return h("section", { id: "qa-scorecard-desk", class: "card", "aria-labelledby": "qa-scorecard-title" },
      h("h3", { id: "qa-scorecard-title" }, "Agent scorecards"), form, messages.el, result);
  }

  // ---- Scoring forms (supervisors): a save is a new version ----
  private formsSection(): HTMLElement {
    const messages = messageArea("qa-forms-messages");
    const list = h("ul", { id: "qa-forms" });
    const name = h("input", { type: "text", name: "formName", maxlength: 100, required: true });
    const rows = h("tbody", { id: "qa-form-criteria" });
    const addRow = (c: Criterion = { key: "", label: "", weight: 1, fatal: false }) => {
      const n = rows.children.length + 1;
      const key = h("input", { type: "text", name: "criterionKey", maxlength: 40, required: true, value: c.key, "aria-label": `Criterion ${n} key` });
      const label = h("input", { type: "text", name: "criterionLabel", maxlength: 200, required: true, value: c.label, "aria-label": `Criterion ${n} label` });
      const weight = h("input", { type: "number", name: "criterionWeight", min: 0, step: "any", value: String(c.weight), "aria-label": `Criterion ${n} weight` });
      const fatal = h("input", { type: "checkbox", name: "criterionFatal", "aria-label": `Criterion ${n} is fatal` });
      fatal.checked = c.fatal;
      const remove = h("button", { type: "button", class: "secondary", "aria-label": `Remove criterion ${n}` }, "Remove");
      const row = h("tr", {}, h("td", {}, key), h("td", {}, label), h("td", {}, weight), h("td", {}, fatal), h("td", {}, remove));
      remove.addEventListener("click", () => row.remove());
      rows.append(row);
      return key;
    };
    const edit = (f: Form) => {
      name.value = f.name;
      rows.replaceChildren();
      f.criteria.forEach((c) => addRow(c));
      name.focus();
    };
    const load = async () => {
      const forms = await api<Form[]>("GET", "/api/qa/forms");
      list.replaceChildren(...forms.map((f) => {
        const button = h("button", { type: "button", class: "secondary", "aria-label": `Edit ${f.name}` }, "Edit");
        button.addEventListener("click", () => edit(f));
        return h("li", { "data-form-id": String(f.id) }, `${f.name} (version ${f.version}, ${f.criteria.length} criteria, ${f.criteria.filter((c) => c.fatal).length} fatal) `, button);
      }));
      if (forms.length === 0) list.append(h("li", {}, "No scoring form yet."));
    };
    const add = h("button", { type: "button", class: "secondary" }, "Add criterion");
    add.addEventListener("click", () => addRow().focus());
    const form = h("form", { id: "qa-form-editor", "aria-labelledby": "qa-form-editor-title" },
      h("h4", { id: "qa-form-editor-title" }, "Edit a form (saving makes a new version; scores keep the version they used)"),
      field("Form name", name),
      h("table", {}, h("thead", {}, h("tr", {}, th("Key"), th("What the reviewer checks"), th("Weight"), th("Fatal"), th("Remove"))), rows),
      add, h("button", { type: "submit" }, "Save as new version"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      messages.clear();
      const criteria = [...rows.querySelectorAll("tr")].map((r) => {
        const input = (n: string) => r.querySelector<HTMLInputElement>(`[name="${n}"]`)!;
        const fatal = input("criterionFatal").checked;
        return { key: input("criterionKey").value.trim(), label: input("criterionLabel").value.trim(), weight: fatal ? 0 : Number(input("criterionWeight").value), fatal };
      });
      try {
        const saved = await api<Form>("POST", "/api/qa/forms", { name: name.value.trim(), criteria });
        messages.info(`Saved ${saved.name} version ${saved.version}.`);
        await load();
      } catch (e) {
        messages.error(errorText(e));
      }
    });
    void load().catch((e) => messages.error(errorText(e)));
    return h("section", { id: "qa-forms-desk", class: "card", "aria-labelledby": "qa-forms-title" },
      h("h3", { id: "qa-forms-title" }, "Scoring forms"), list, form, messages.el);
  }
}
