import type { HubConnection } from "@microsoft/signalr";
import { api } from "./api";
import { h, field, select, messageArea } from "./dom";

/** One version of an article (GET /api/kb/search, /api/kb/articles/{id}). bodyHtml is rendered by the server with raw HTML escaped. */
export interface ArticleText {
  versionId: number;
  number: number;
  title: string;
  bodyHtml: string;
  language: string;
  products: string[];
  tags: string[];
  effectiveFrom: string;
  status: "Scheduled" | "Upcoming" | "Current" | "Expired";
}

export interface ArticleView {
  articleId: number;
  owner: string;
  current: ArticleText | null;
  upcoming: ArticleText | null;
}

export interface SearchResponse {
  query: string;
  language: string | null;
  results: { article: ArticleView; productMatch: boolean; rank: number }[];
}

export interface IncidentScript {
  id: number;
  title: string;
  bodyHtml: string;
  pinnedBy: string;
  pinnedAt: string;
}

const languages: [string, string][] = [["", "Any language"], ["zh-CN", "中文"], ["en-US", "English"]];

/**
 * The agent's knowledge tools: pinned incident scripts at the top of the console (pushed over the hub), the search
 * panel (Chinese and English, product and language filters), suggestions for the offered call, and flags.
 */
export class KnowledgePanel {
  /** Goes at the very top of the console. */
  readonly pinned = h("section", { id: "pinned-scripts", "aria-labelledby": "pinned-title", "aria-live": "polite", hidden: true });
  readonly el: HTMLElement;
  private readonly messages = messageArea("kb-messages");
  private readonly query = h("input", { type: "search", name: "q", maxlength: 200, placeholder: "年费 / annual fee", required: true });
  private readonly product = h("input", { type: "text", name: "product", maxlength: 64, placeholder: "e.g. 信用卡" });
  private readonly language = select("language", languages);
  private readonly results = h("ol", { id: "kb-results", class: "kb-results", "aria-label": "Knowledge search results" });
  private readonly suggestions = h("section", { id: "kb-suggestions", "aria-labelledby": "kb-suggestions-title", hidden: true });
  private readonly onPinned = (scripts: unknown) => this.showPinned(scripts as IncidentScript[]);
  private readonly onReady = () => void this.loadPinned();
  /** The call the agent is on or being offered, named in flags. */
  callSid: string | null = null;

  constructor(private readonly hub: HubConnection) {
    const form = h("form", { role: "search", "aria-labelledby": "kb-title" },
      h("div", { class: "controls" },
        field("Search", this.query),
        field("Product", this.product),
        field("Language", this.language),
        h("button", { type: "submit" }, "Search")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.search();
    });
    const missing = h("button", { type: "button", class: "secondary", id: "kb-flag-missing" }, "Report a missing article");
    missing.addEventListener("click", () => void this.flag(null));
    this.el = h("section", { id: "knowledge", class: "card", "aria-labelledby": "kb-title" },
      h("h3", { id: "kb-title" }, "Knowledge base"),
      this.suggestions,
      form,
      this.messages.el,
      this.results,
      h("div", { class: "controls" }, missing));
    hub.on("pinnedScripts", this.onPinned);
    hub.on("ready", this.onReady);
    void this.loadPinned();
  }

  dispose(): void {
    this.hub.off("pinnedScripts", this.onPinned);
    this.hub.off("ready", this.onReady);
  }

  private async loadPinned(): Promise<void> {
    try {
      this.showPinned(await api<IncidentScript[]>("GET", "/api/kb/scripts/pinned"));
    } catch (e) {
      this.messages.error(e instanceof Error ? e.message : String(e));
    }
  }

  private showPinned(scripts: IncidentScript[]): void {
    this.pinned.hidden = scripts.length === 0;
    this.pinned.replaceChildren(
      h("h3", { id: "pinned-title" }, "Incident scripts"),
      ...scripts.map((s) => {
        const body = h("div", { class: "kb-body" });
        body.innerHTML = s.bodyHtml; // rendered by the server: raw HTML escaped, only web/mail/phone links
        return h("article", { class: "pinned-script", "data-script-id": String(s.id) },
          h("h4", {}, s.title),
          body,
          h("p", { class: "muted" }, `Pinned by ${s.pinnedBy} at ${new Date(s.pinnedAt).toLocaleString()}`));
      }));
  }

  /** Suggestions for the call being offered, from the options the caller chose in the IVR. */
  async suggestFor(callSid: string | null): Promise<void> {
    this.callSid = callSid ?? this.callSid;
    if (!callSid) return;
    try {
      const found = await api<SearchResponse>("GET", `/api/kb/suggestions?callSid=${encodeURIComponent(callSid)}`);
      this.suggestions.hidden = found.results.length === 0;
      this.suggestions.replaceChildren(
        h("h4", { id: "kb-suggestions-title" }, `Suggested for this call (${found.query})`),
        h("ol", { class: "kb-results" }, ...found.results.map((r) => this.result(r.article, r.productMatch))));
    } catch {
      // Suggestions are a help, never a blocker: the search box still works.
      this.suggestions.hidden = true;
    }
  }

  private async search(): Promise<void> {
    this.messages.clear();
    const params = new URLSearchParams({ q: this.query.value });
    if (this.product.value.trim()) params.set("product", this.product.value.trim());
    if (this.language.value) params.set("language", this.language.value);
    try {
      const found = await api<SearchResponse>("GET", `/api/kb/search?${params}`);
      this.results.replaceChildren(...found.results.map((r) => this.result(r.article, r.productMatch)));
      if (found.results.length === 0) this.messages.info(`Nothing found for “${found.query}”. Report a missing article if the customer needed one.`);
    } catch (e) {
      this.messages.error(e instanceof Error ? e.message : String(e));
    }
  }

  private result(article: ArticleView, productMatch: boolean): HTMLElement {
    const shown = article.current ?? article.upcoming!;
    const body = h("div", { class: "kb-body" });
    body.innerHTML = article.current?.bodyHtml ?? ""; // rendered by the server: raw HTML escaped
    const flag = h("button", { type: "button", class: "secondary kb-flag" }, "Flag as wrong");
    flag.addEventListener("click", () => void this.flag(article));
    const item = h("li", { class: "kb-article", "data-article-id": String(article.articleId) },
      h("h4", {}, shown.title, productMatch ? h("span", { class: "badge" }, "product") : null),
      h("p", { class: "muted" }, `${shown.language} · ${shown.products.join(", ")} · owner ${article.owner}`),
      article.current ? body : null);
    if (article.upcoming) {
      const next = h("div", { class: "kb-body" });
      next.innerHTML = article.upcoming.bodyHtml;
      const on = new Date(article.upcoming.effectiveFrom).toLocaleDateString();
      item.append(h("div", { class: "kb-banner", role: "note" },
        h("strong", {}, article.current ? `Changes on ${on}: from then on say` : `New from ${on}`), next));
    }
    item.append(h("div", { class: "controls" }, flag));
    return item;
  }

  private async flag(article: ArticleView | null): Promise<void> {
    const comment = window.prompt(article ? `What is wrong in “${(article.current ?? article.upcoming)!.title}”?` : "What did the customer need that the knowledge base lacks?");
    if (!comment?.trim()) return;
    try {
      await api("POST", "/api/kb/flags", { articleId: article?.articleId ?? null, kind: article ? "Wrong" : "Missing", comment, callSid: this.callSid });
      this.messages.info(article ? `Flag sent to ${article.owner}.` : "Reported to the knowledge team.");
    } catch (e) {
      this.messages.error(e instanceof Error ? e.message : String(e));
    }
  }
}
