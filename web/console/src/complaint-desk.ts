import type { HubConnection } from "@microsoft/signalr";
import { api } from "./api";
import { h, messageArea } from "./dom";

/** A ticket as GET /api/complaints/attention lists it (contact masked). */
interface ComplaintSummary {
  id: number;
  grade: "Ordinary" | "Serious" | "Major";
  status: string;
  callerName: string | null;
  contact: string;
  receivedAt: string;
  handler: string | null;
  acceptBy: string;
  answerBy: string;
  closeBy: string;
  standing: { accept: string; answer: string; close: string; worst: "Overdue" | "NearlyOverdue" | "OnTime" };
}

interface WorkOrder {
  id: number;
  complaintId: number;
  department: string;
  dueAt: string;
  escalationLevel: number;
}

interface Attention {
  at: string;
  overdue: ComplaintSummary[];
  nearlyOverdue: ComplaintSummary[];
  overdueWorkOrders: WorkOrder[];
}

/** A daily report the scheduled job kept, as GET /api/complaints/reports lists it. */
interface StoredReport {
  date: string;
  producedAt: string;
  received: number;
  overdue: number;
  nearlyOverdue: number;
  overdueWorkOrders: number;
}

/**
 * The supervisor's complaint panel: overdue and nearly overdue tickets and overdue work orders, refreshed when the worker
 * flags one, and the daily reports kept for each finished day.
 */
export class ComplaintDesk {
  readonly el: HTMLElement;
  private readonly messages = messageArea("complaint-desk-messages");
  private readonly tickets = h("tbody", { id: "complaint-attention" });
  private readonly orders = h("ul", { id: "complaint-work-orders" });
  private readonly reports = h("tbody", { id: "complaint-reports" });
  private readonly onChange = () => void this.load();
  private readonly poller: number;

  constructor(private readonly hub: HubConnection) {
    const th = (text: string) => h("th", { scope: "col" }, text);
    this.el = h("section", { class: "card", "aria-labelledby": "complaints-title" },
      h("h3", { id: "complaints-title" }, "Complaints needing attention"),
      this.messages.el,
      h("table", { id: "complaints" },
        h("thead", {}, h("tr", {}, th("Ticket"), th("Standing"), th("Grade"), th("Status"), th("Customer"), th("Answer by"), th("Handler"))),
        this.tickets),
      h("h4", {}, "Overdue work orders"),
      this.orders,
      h("h4", { id: "complaint-reports-title" }, "Daily reports"),
      h("table", { "aria-labelledby": "complaint-reports-title" },
        h("thead", {}, h("tr", {}, th("Day"), th("Received"), th("Overdue at day's end"), th("Nearly overdue"), th("Overdue work orders"), th("Flagged tickets"))),
        this.reports));
    hub.on("complaintOverdue", this.onChange);
    // Nearly-overdue is a matter of the clock, not of an event: look again every minute.
    this.poller = window.setInterval(this.onChange, 60_000);
    void this.load();
  }

  dispose(): void {
    window.clearInterval(this.poller);
    this.hub.off("complaintOverdue", this.onChange);
  }

  private async load(): Promise<void> {
    try {
      const attention = await api<Attention>("GET", "/api/complaints/attention");
      const row = (c: ComplaintSummary) => h("tr", { "data-complaint-id": String(c.id), class: c.standing.worst === "Overdue" ? "overdue" : "nearly-overdue" },
        h("td", {}, `#${c.id}`),
        h("td", {}, c.standing.worst === "Overdue" ? "Overdue" : "Nearly overdue"),
        h("td", {}, c.grade),
        h("td", {}, c.status),
        h("td", {}, `${c.callerName ?? ""} ${c.contact}`.trim()),
        h("td", {}, new Date(c.answerBy).toLocaleString()),
        h("td", {}, c.handler ?? "—"));
      this.tickets.replaceChildren(...attention.overdue.map(row), ...attention.nearlyOverdue.map(row));
      this.orders.replaceChildren(...attention.overdueWorkOrders.map((w) =>
        h("li", {}, `#${w.id} (complaint #${w.complaintId}) to ${w.department}, due ${new Date(w.dueAt).toLocaleString()}, escalation level ${w.escalationLevel}`)));
      const kept = await api<StoredReport[]>("GET", "/api/complaints/reports");
      this.reports.replaceChildren(...kept.map((r) => h("tr", { "data-report": r.date },
        h("th", { scope: "row" }, r.date),
        h("td", {}, String(r.received)),
        h("td", {}, String(r.overdue)),
        h("td", {}, String(r.nearlyOverdue)),
        h("td", {}, String(r.overdueWorkOrders)),
        h("td", {}, h("a", { href: `/api/complaints/reports/daily?date=${r.date}&format=csv`, download: `complaints-${r.date}.csv` }, `CSV of ${r.date}`)))));
      if (kept.length === 0) this.reports.append(h("tr", {}, h("td", { colspan: 6 }, "No report kept yet: the first is made after the first full day.")));
    } catch (e) {
      this.messages.error(e instanceof Error ? e.message : String(e));
    }
  }
}
