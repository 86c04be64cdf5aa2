// The agent's own QA evaluations: scores, the reviewer's time-stamped comments, and acknowledge or dispute.
import { api } from "./api";
import { h, clock, messageArea } from "./dom";
import { scorecardTable, type ScorecardMonth } from "./qa-review";

interface Criterion { key: string; label: string; weight: number; fatal: boolean }
interface Answer { key: string; points: number | null; passed: boolean | null }
interface Comment { offsetMs: number | null; text: string; author: string }
interface Evaluation {
  id: number; archiveNumber: number; period: string; reviewer: string; total: number; grade: string; fatalFailed: boolean;
  summary: string | null; status: "submitted" | "acknowledged" | "disputed"; agentResponse: string | null;
  form: { name: string; version: number; criteria: Criterion[] }; answers: Answer[]; comments: Comment[];
}

export class MyEvaluations {
  readonly el: HTMLElement;
  private readonly messages = messageArea("my-evaluations-messages");
  private readonly list = h("ul", { id: "my-evaluations-list" });
  private readonly scorecard = h("div", { id: "my-scorecard" });

  constructor(private readonly workNumber: string) {
    this.el = h("section", { id: "my-evaluations", class: "card", "aria-labelledby": "my-evaluations-title" },
      h("h3", { id: "my-evaluations-title" }, "My evaluations"), this.messages.el,
      h("h4", {}, "My scorecard by month"), this.scorecard, this.list);
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const months = await api<ScorecardMonth[]>("GET", `/api/qa/scorecards/${encodeURIComponent(this.workNumber)}`);
      this.scorecard.replaceChildren(scorecardTable("my-scorecard-table", months));
      const evaluations = await api<Evaluation[]>("GET", "/api/qa/my/evaluations");
      this.list.replaceChildren(...evaluations.map((e) => this.item(e)));
      if (evaluations.length === 0) this.list.append(h("li", {}, "No evaluations yet."));
    } catch (e) {
      this.messages.error(e instanceof Error ? e.message : String(e));
    }
  }

  private item(e: Evaluation): HTMLElement {
    const answer = (c: Criterion) => {
      const a = e.answers.find((x) => x.key === c.key);
      return h("li", {}, `${c.label}: ${c.fatal ? (a?.passed ? "passed" : "FAILED") : `${a?.points ?? "–"} / 100`}`);
    };
    const actions = h("div", { class: "actions" });
    if (e.status === "submitted") {
      const acknowledge = h("button", { type: "button" }, "Acknowledge");
      acknowledge.addEventListener("click", () => void this.respond(e.id, "acknowledge"));
      const reason = h("input", { type: "text", name: `dispute-${e.id}`, maxlength: 2000, "aria-label": "Why you dispute this score" });
      const dispute = h("button", { type: "button", class: "secondary" }, "Dispute");
      dispute.addEventListener("click", () => void this.respond(e.id, "dispute", reason.value.trim()));
      actions.append(acknowledge, reason, dispute);
    } else {
      actions.append(h("p", {}, `You ${e.status} this evaluation${e.agentResponse ? `: ${e.agentResponse}` : "."}`));
    }
    return h("li", { "data-evaluation-id": String(e.id), class: "evaluation" },
      h("p", { class: "score" }, h("strong", {}, `${e.total}`), ` ${e.grade}${e.fatalFailed ? " (fatal item failed)" : ""} · recording #${e.archiveNumber} · ${e.period} · ${e.form.name} v${e.form.version} · reviewed by ${e.reviewer}`),
      e.summary ? h("p", {}, e.summary) : null,
      h("ul", {}, ...e.form.criteria.map(answer)),
      e.comments.length > 0 ? h("ul", { class: "comments" }, ...e.comments.map((c) => h("li", {}, `${c.offsetMs === null ? "" : `${clock(c.offsetMs / 1000)} `}${c.text}`))) : null,
      actions);
  }

  private async respond(id: number, action: "acknowledge" | "dispute", reason?: string): Promise<void> {
    this.messages.clear();
    try {
      await api("POST", `/api/qa/evaluations/${id}/${action}`, action === "dispute" ? { reason } : undefined);
      await this.load();
    } catch (e) {
      this.messages.error(e instanceof Error ? e.message : String(e));
    }
  }
}
