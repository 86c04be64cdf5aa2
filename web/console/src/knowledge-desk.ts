import type { HubConnection } from "@microsoft/signalr";
import { api } from "./api";
import { h, field, select, messageArea } from "./dom";
import type { IncidentScript } from "./knowledge";

interface Notice {
  id: number;
  department: string;
  kind: string;
  articleId: number | null;
  title: string;
  language: string;
  products: string[];
  effectiveFrom: string | null;
  status: "Submitted" | "Approved" | "Rejected" | "Published";
  submittedBy: string;
  submittedAt: string;
}

interface Flag {
  id: number;
  articleId: number | null;
  kind: string;
  comment: string;
  owner: string;
  raisedBy: string;
  raisedAt: string;
}

/** The supervisor's knowledge desk: notices to review and publish, open flags, and pinned incident scripts. */
export class KnowledgeDesk {
  readonly el: HTMLElement;
  private readonly messages = messageArea("kb-desk-messages");
  private readonly notices = h("tbody", { id: "kb-notices" });
  private readonly flags = h("ul", { id: "kb-flags" });
  private readonly scripts = h("ul", { id: "kb-scripts" });
  private readonly title = h("input", { type: "text", name: "scriptTitle", maxlength: 200, required: true });
  private readonly body = h("textarea", { name: "scriptBody", rows: 3, maxlength: 20000, required: true });
  private readonly onChange = () => void this.load();
  private readonly notice = {
    department: h("input", { type: "text", name: "department", maxlength: 100, required: true }),
    kind: select("kind", [["NewProduct", "New product"], ["FeeChange", "Fee change"], ["BranchOpening", "Branch opening"],
      ["BranchMove", "Branch move"], ["OpeningHours", "Opening hours"], ["Correction", "Correction"], ["Other", "Other"]]),
    articleId: h("input", { type: "number", name: "articleId", min: 1 }),
    title: h("input", { type: "text", name: "noticeTitle", maxlength: 200, required: true }),
    body: h("textarea", { name: "noticeBody", rows: 4, maxlength: 20000, required: true }),
    language: select("noticeLanguage", [["zh-CN", "中文 (zh-CN)"], ["en-US", "English (en-US)"]]),
    products: h("input", { type: "text", name: "products", required: true, placeholder: "信用卡, credit-card" }),
    tags: h("input", { type: "text", name: "tags" }),
    effectiveFrom: h("input", { type: "datetime-local", name: "effectiveFrom" }),
  };

  constructor(private readonly hub: HubConnection) {
    const th = (text: string) => h("th", { scope: "col" }, text);
    const form = h("form", { "aria-labelledby": "kb-pin-title" },
      h("h4", { id: "kb-pin-title" }, "Pin an incident script to every agent console"),
      field("Script title", this.title),
      field("What agents say (Markdown)", this.body),
      h("button", { type: "submit" }, "Pin script"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.act(async () => {
        await api("POST", "/api/kb/scripts", { title: this.title.value, body: this.body.value });
        this.title.value = "";
        this.body.value = "";
      });
    });
    const n = this.notice;
    const submit = h("form", { id: "kb-notice-form", "aria-labelledby": "kb-notice-title" },
      h("h4", { id: "kb-notice-title" }, "Submit a department's change notice"),
      field("Department", n.department), field("Kind of change", n.kind), field("Article number (empty: a new article)", n.articleId),
      field("Title", n.title), field("Text (Markdown)", n.body), field("Language", n.language),
      field("Products (comma-separated)", n.products), field("Tags (comma-separated)", n.tags),
      field("Effective from (empty: on publication)", n.effectiveFrom),
      h("button", { type: "submit" }, "Submit notice"));
    const list = (value: string) => value.split(/[,，]/).map((v) => v.trim()).filter((v) => v);
    submit.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.act(async () => {
        await api("POST", "/api/kb/notices", {
          department: n.department.value, kind: n.kind.value, articleId: n.articleId.value ? Number(n.articleId.value) : null,
          title: n.title.value, body: n.body.value, language: n.language.value, products: list(n.products.value), tags: list(n.tags.value),
          effectiveFrom: n.effectiveFrom.value ? new Date(n.effectiveFrom.value).toISOString() : null,
        });
        submit.reset();
      });
    });
    this.el = h("section", { id: "knowledge-desk", class: "card", "aria-labelledby": "kb-desk-title" },
      h("h3", { id: "kb-desk-title" }, "Knowledge base"),
      this.messages.el,
      h("h4", {}, "Change notices to review"),
      h("table", { id: "kb-notices-table" },
        h("thead", {}, h("tr", {}, th("Notice"), th("Department"), th("Change"), th("Effective"), th("Status"), th("Action"))),
        this.notices),
      h("h4", {}, "Open flags from agents"),
      this.flags,
      h("h4", {}, "Pinned incident scripts"),
      this.scripts,
      form,
      submit);
    hub.on("pinnedScripts", this.onChange);
    hub.on("knowledgeFlagged", this.onChange);
    void this.load();
  }

  dispose(): void {
    this.hub.off("pinnedScripts", this.onChange);
    this.hub.off("knowledgeFlagged", this.onChange);
  }

  private async act(action: () => Promise<unknown>): Promise<void> {
    this.messages.clear();
    try {
      await action();
    } catch (e) {
      this.messages.error(e instanceof Error ? e.message : String(e));
    }
    await this.load();
  }

  private async load(): Promise<void> {
    try {
      const [notices, flags, pinned] = await Promise.all([
        api<Notice[]>("GET", "/api/kb/notices"),
        api<Flag[]>("GET", "/api/kb/flags"),
        api<IncidentScript[]>("GET", "/api/kb/scripts/pinned"),
      ]);
      this.notices.replaceChildren(...notices.filter((n) => n.status === "Submitted" || n.status === "Approved").map((n) => this.noticeRow(n)));
      this.flags.replaceChildren(...flags.map((f) =>
        h("li", {}, `${f.kind}${f.articleId ? ` (article ${f.articleId})` : ""} for ${f.owner}: ${f.comment} — ${f.raisedBy}`)));
      this.scripts.replaceChildren(...pinned.map((s) => {
        const unpin = h("button", { type: "button", class: "secondary" }, "Unpin");
        unpin.addEventListener("click", () => void this.act(() => api("DELETE", `/api/kb/scripts/${s.id}/pin`)));
        return h("li", { "data-script-id": String(s.id) }, `${s.title} (pinned by ${s.pinnedBy}) `, unpin);
      }));
    } catch (e) {
      this.messages.error(e instanceof Error ? e.message : String(e));
    }
  }

  private noticeRow(n: Notice): HTMLElement {
    const action = h("td", {});
    const button = (label: string, path: string, body?: unknown) => {
      const b = h("button", { type: "button" }, label);
      b.addEventListener("click", () => void this.act(() => api("POST", `/api/kb/notices/${n.id}/${path}`, body)));
      return b;
    };
    if (n.status === "Submitted") {
      action.append(button("Approve", "approve", {}), " ");
      const reject = h("button", { type: "button", class: "secondary" }, "Reject");
      reject.addEventListener("click", () => {
        const note = window.prompt("Why is the notice rejected?");
        if (note?.trim()) void this.act(() => api("POST", `/api/kb/notices/${n.id}/reject`, { note }));
      });
      action.append(reject);
    } else {
      action.append(button("Publish", "publish"));
    }
    return h("tr", { "data-notice": String(n.id) },
      h("td", {}, `${n.title} (${n.language}; ${n.products.join(", ")}) by ${n.submittedBy}`),
      h("td", {}, n.department),
      h("td", {}, n.articleId ? `${n.kind}, article ${n.articleId}` : `${n.kind}, new article`),
      h("td", {}, n.effectiveFrom ? new Date(n.effectiveFrom).toLocaleString() : "on publication"),
      h("td", { "data-col": "status" }, n.status),
      action);
  }
}
