// A few DOM helpers: the console is small enough not to need a framework.

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | boolean | number | EventListener | undefined>;

/** Creates an element; "on…" attributes become listeners, booleans toggle attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

/** A labelled form field: the label is tied to the control by id, so screen readers and clicks both work. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement): HTMLElement {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

export function select(name: string, options: [string, string][], attrs: Attrs = {}): HTMLSelectElement {
  return h("select", { name, ...attrs }, ...options.map(([value, text]) => h("option", { value }, text)));
}

/** Formats seconds as m:ss (or h:mm:ss). */
export function clock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh > 0 ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** A status region that announces messages to assistive technology; errors use role=alert. */
export function messageArea(id: string): { el: HTMLElement; error(text: string): void; info(text: string): void; clear(): void } {
  const el = h("div", { id, class: "messages", "aria-live": "polite" });
  return {
    el,
    error(text) {
      el.replaceChildren(h("p", { class: "error", role: "alert" }, text));
    },
    info(text) {
      el.replaceChildren(h("p", { class: "info", role: "status" }, text));
    },
    clear() {
      el.replaceChildren();
    },
  };
}
