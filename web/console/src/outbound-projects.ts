import { api, type Session } from "./api";
import { h, field, select, messageArea } from "./dom";

/** A project as the API shows it. */
interface Project {
  id: number;
  name: string;
  department: string;
  script: string;
  questions: string[];
  maxAttempts: number;
  retryDelayMinutes: number;
  status: "Submitted" | "Approved" | "Closed";
  createdBy: string;
  approvedBy: string | null;
  contacts: number;
}

/** The customer an agent is calling (number masked). */
interface Contact {
  contactId: number;
  name: string;
  number: string;
  status: string;
  attempts: number;
  script: string;
  questions: string[];
  twilioCallSid: string | null;
  /** The call's id in the agent API (/api/agent/calls/{callSid}). */
  callSid: string | null;
}

const canSupervise = (s: Session) => s.role === "Supervisor" || s.role === "Admin";

/**
 * Outbound projects: department staff submit one (script, questions, customers), a supervisor approves it, agents
 * work the list one customer at a time with the script and questions, supervisors export the results.
 */
export class OutboundProjectsPanel {
  readonly el: HTMLElement;
  private readonly messages = messageArea("outbound-messages");
  private readonly rows = h("tbody", { id: "projects-body" });
  private readonly current = h("div", { id: "outbound-current" });

  constructor(private readonly session: Session) {
    const th = (text: string) => h("th", { scope: "col" }, text);
    this.el = h("section", { class: "card", id: "outbound", "aria-labelledby": "outbound-title" },
      h("h3", { id: "outbound-title" }, "Outbound projects"),
      this.messages.el,
      h("table", { id: "projects" },
        h("thead", {}, h("tr", {}, th("Project"), th("Department"), th("Status"), th("Customers"), th("Attempts at most"), th("Actions"))),
        this.rows),
      this.current,
      this.newProjectForm());
    void this.load();
  }

  private fail(e: unknown): void {
    this.messages.error(e instanceof Error ? e.message : String(e));
  }

  private async load(): Promise<void> {
    try {
      const projects = await api<Project[]>("GET", "/api/outbound/projects");
      this.rows.replaceChildren(...projects.map((p) => this.row(p)));
      if (projects.length === 0) this.rows.append(h("tr", {}, h("td", { colspan: 6 }, "No projects yet.")));
    } catch (e) {
      this.fail(e);
    }
  }

  private row(p: Project): HTMLElement {
    const actions = h("td", { class: "controls" });
    if (p.status === "Submitted" && canSupervise(this.session)) {
      const approve = h("button", { type: "button", class: "primary", "aria-label": `Approve ${p.name}` }, "Approve");
      approve.addEventListener("click", () => void this.approve(p));
      actions.append(approve);
    }
    if (p.status === "Approved" && this.session.role !== "Quality") {
      const next = h("button", { type: "button", "aria-label": `Call the next customer of ${p.name}` }, "Call next customer");
      next.addEventListener("click", () => void this.next(p));
      actions.append(next);
    }
    if (canSupervise(this.session))
      actions.append(h("a", { href: `/api/outbound/projects/${p.id}/export`, download: `project-${p.id}.csv` }, `Export results of ${p.name}`));
    return h("tr", { "data-project": String(p.id) },
      h("th", { scope: "row" }, p.name),
      h("td", {}, p.department),
      h("td", { "data-col": "status" }, p.status === "Submitted" ? "Awaiting approval" : p.status),
      h("td", {}, String(p.contacts)),
      h("td", {}, String(p.maxAttempts)),
      actions);
  }

  private async approve(p: Project): Promise<void> {
    try {
      await api("POST", `/api/outbound/projects/${p.id}/approve`);
      this.messages.info(`Project "${p.name}" approved: agents may call its customers now.`);
      await this.load();
    } catch (e) {
      this.fail(e);
    }
  }

  private async next(p: Project): Promise<void> {
    try {
      const contact = await api<Contact | undefined>("POST", `/api/outbound/projects/${p.id}/next`);
      if (!contact) {
        this.current.replaceChildren();
        this.messages.info(`Nobody in "${p.name}" may be called now (retry delays, calling hours, or the list is done).`);
        return;
      }
      this.messages.clear();
      this.showContact(p, contact);
    } catch (e) {
      this.fail(e);
    }
  }

  private showContact(p: Project, c: Contact): void {
    const answers = c.questions.map((q) => h("input", { name: `answer-${q}` }));
    const outcome = select("outcome", [["Answered", "Answered"], ["NoAnswer", "No answer"], ["Busy", "Busy"], ["Failed", "Failed"],
      ["Refused", "Refused: never call again"]]);
    const note = h("textarea", { name: "note", rows: 2, maxlength: 2000 });
    const form = h("form", { "aria-labelledby": "outbound-customer-title" },
      h("h4", { id: "outbound-customer-title" }, `Calling ${c.name} (${c.number}) for ${p.name}`),
      h("p", { class: "muted" }, c.twilioCallSid
        ? `Dialled to your softphone; attempt ${c.attempts}. The call panel has the in-call controls; end the call, then record the result.`
        : "Twilio did not place the call; it counts as a failed attempt."),
      h("h5", {}, "Script"),
      h("p", { id: "outbound-script" }, c.script),
      ...c.questions.map((q, i) => field(q, answers[i]!)),
      field("Outcome", outcome),
      field("Note", note),
      h("button", { type: "submit", class: "primary" }, "Record result"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const result = await api<Contact>("POST", `/api/outbound/projects/${p.id}/contacts/${c.contactId}/result`, {
          outcome: outcome.value, answers: answers.map((a) => a.value), note: note.value || undefined,
        });
        this.current.replaceChildren();
        this.messages.info(`Result recorded for ${result.name}: ${result.status} after ${result.attempts} attempt(s).`);
      } catch (e) {
        this.fail(e);
      }
    });
    this.current.replaceChildren(form);
    answers[0]?.focus();
  }

  private newProjectForm(): HTMLElement {
    const name = h("input", { name: "name", required: true, maxlength: 200 });
    const department = h("input", { name: "department", required: true, maxlength: 100 });
    const script = h("textarea", { name: "script", required: true, rows: 3, maxlength: 8000 });
    const questions = h("textarea", { name: "questions", rows: 3 });
    const contacts = h("textarea", { name: "contacts", required: true, rows: 3, placeholder: "王女士, +8613700000001, Asia/Shanghai" });
    const maxAttempts = h("input", { name: "maxAttempts", type: "number", min: 1, max: 10, value: 3 });
    const retry = h("input", { name: "retryDelayMinutes", type: "number", min: 1, max: 10080, value: 120 });
    const form = h("form", { id: "new-project" },
      field("Project name", name),
      field("Department", department),
      field("Script", script),
      field("Questions, one per line", questions),
      field("Customers, one per line: name, number, time zone", contacts),
      field("Attempts at most", maxAttempts),
      field("Minutes between attempts", retry),
      h("button", { type: "submit" }, "Submit for approval"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const lines = (text: string) => text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
      try {
        const created = await api<Project>("POST", "/api/outbound/projects", {
          name: name.value, department: department.value, script: script.value, questions: lines(questions.value),
          maxAttempts: Number(maxAttempts.value), retryDelayMinutes: Number(retry.value),
          contacts: lines(contacts.value).map((l) => {
            const [contactName, number, timeZone] = l.split(",").map((part) => part.trim());
            return { name: contactName, number, timeZone: timeZone || undefined };
          }),
        });
        form.reset();
        this.messages.info(`Project "${created.name}" submitted with ${created.contacts} customers; a supervisor approves it before any call.`);
        await this.load();
      } catch (e) {
        this.fail(e);
      }
    });
    return h("details", {}, h("summary", {}, "New project"), form);
  }
}
