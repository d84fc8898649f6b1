// curated-search widget: a search box with suggestions, showing results in place.
// Embed: <link rel="stylesheet" href="SEARCH/widget.css"> <script src="SEARCH/widget.js" defer></script>
// and <div data-curated-search><a href="SEARCH/">Search our information pages</a></div> (the link is
// what people without JavaScript get). The widget lives in a shadow root: the host page's styles do
// not reach it, nor its styles the page. It also adds suggestions to the search page's own box.
// It asks only its own origin's API, or the address the host sets on the script tag
// (<script src="..." data-api="https://search.example.org">): a data-curated-search value naming
// any other address, which anyone who can put markup on the host page could plant, is ignored.
// Links it shows are http(s) only.
(() => {
  "use strict";
  // The script element, read once before anything else runs, from Document's own getter: markup on the
  // host page (<img name="currentScript">) can shadow document.currentScript, never the getter.
  const current = Object.getOwnPropertyDescriptor(Document.prototype, "currentScript").get.call(document);
  const script = current instanceof HTMLScriptElement ? current : null;
  const BASE = new URL(".", script ? script.src : location.href).href.replace(/\/$/, "");
  const trimmed = (address) => {
    try {
      const url = new URL(address, location.href);
      return ["http:", "https:"].includes(url.protocol) ? url.href.replace(/\/$/, "") : null;
    } catch (error) { return null; }
  };
  const ALLOWED = [BASE, script && script.dataset.api ? trimmed(script.dataset.api) : null].filter(Boolean);
  const apiBase = (asked) => {
    if (!asked) return ALLOWED[ALLOWED.length - 1];
    const found = trimmed(asked);
    if (ALLOWED.includes(found)) return found;
    console.warn("curated-search: ignoring an API address the script tag does not name:", asked);
    return ALLOWED[ALLOWED.length - 1];
  };
  const LIMIT = 10;
  let counter = 0;
  // What the widget says, in the languages the search speaks, from the app's catalogs (the search page's
  // own words; search_app/web/widget.py writes them in when it serves this file). The box speaks the
  // host page's language (data-lang, else <html lang>); results speak the question's (the API's "language").
  const TEXT = {"en": {}}; // WIDGET_TEXT
  // A catalog string with its %(name)s and %(name)d filled in; a plural one ([one, other]) by `num`.
  const fill = (message, values = {}) => {
    const form = Array.isArray(message) ? message[values.num === 1 ? 0 : 1] : message;
    return form.replace(/%\((\w+)\)[sd]/g, (_, name) => String(values[name]));
  };
  const language = (code) => (String(code || "").toLowerCase().startsWith("es") ? "es" : "en");

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  };
  const api = (base, path, params, unavailable = TEXT.en.unavailable) => {
    const url = new URL(base + path);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return fetch(url, { credentials: "omit" }).then(async (response) => {
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.reason || unavailable);
      return body;
    });
  };
  // A link from an answer, made absolute; null (no link at all) unless it is http(s).
  const absolute = (base, link) => {
    try {
      const url = new URL(link, base + "/");
      return ["http:", "https:"].includes(url.protocol) ? url.href : null;
    } catch (error) { return null; }
  };

  // Suggestions on a text box: the ARIA 1.2 combobox pattern (list autocomplete, active option
  // announced through aria-activedescendant). `lang`: the box's language, so that a question typed in
  // another language than the pages' gets no suggestions in theirs.
  function combobox(input, list, base, lang, choose) {
    let options = [], active = -1, timer = null, asked = "";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    list.setAttribute("role", "listbox");
    const close = () => {
      list.hidden = true; list.replaceChildren(); options = []; active = -1;
      input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant");
    };
    const highlight = (index) => {
      options.forEach((option, i) => option.setAttribute("aria-selected", i === index ? "true" : "false"));
      active = index;
      if (index >= 0) input.setAttribute("aria-activedescendant", options[index].id);
      else input.removeAttribute("aria-activedescendant");
    };
    const show = (suggestions) => {
      if (!suggestions.length || input.getRootNode().activeElement !== input) {
        close(); return;
      }
      options = suggestions.map((text, i) => {
        const option = el("li", { role: "option", id: `${list.id}-${i}`, "aria-selected": "false", text });
        option.addEventListener("mousedown", (event) => event.preventDefault());
        option.addEventListener("click", () => { input.value = text; close(); choose(text); });
        return option;
      });
      list.replaceChildren(...options);
      list.hidden = false; active = -1;
      input.setAttribute("aria-expanded", "true");
    };
    input.addEventListener("input", () => {
      clearTimeout(timer);
      const typed = input.value.trim();
      if (typed.replace(/\W/g, "").length < 2) { close(); return; }
      timer = setTimeout(() => {
        asked = typed;
        api(base, "/api/suggest", { q: typed, lang })
          .then((body) => { if (asked === typed && input.value.trim() === typed) show(body.suggestions || []); })
          .catch(close);
      }, 120);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!options.length) return;
        event.preventDefault();
        let next = event.key === "ArrowDown" ? active + 1 : active - 1;
        if (next >= options.length) next = -1;
        if (next < -1) next = options.length - 1;
        highlight(next);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        const text = options[active].textContent;
        input.value = text; close(); choose(text);
      } else if (event.key === "Escape" && options.length) {
        event.preventDefault(); close();
      }
    });
    input.addEventListener("blur", () => setTimeout(() => {
      if (input.getRootNode().activeElement !== input) close();
    }, 150));
    return close;
  }

  // The text of a passage with its highlighted spans as <mark>, cut to about 300 characters
  // around the first highlight.
  // The excerpt the API chose (whole sentences, the same rule as the search page's), words marked,
  // and the sentence that best answers the question (when the API marked one) as a span of its own.
  function marked(text, spans, offset) {
    const parts = [];
    let at = 0;
    for (const [from, to] of spans) {
      const start = Math.max(from - offset, 0), end = Math.min(to - offset, text.length);
      if (end <= 0 || start >= text.length || start < at) continue;
      parts.push(text.slice(at, start), el("mark", { text: text.slice(start, end) }));
      at = end;
    }
    parts.push(text.slice(at));
    return parts;
  }
  function excerpt(shown) {
    const node = el("p", { class: "cs-excerpt" });
    const text = shown.text, spans = shown.highlights || [];
    const [from, to] = shown.answer || [text.length, text.length];
    node.append(...marked(text.slice(0, from), spans, 0));
    if (shown.answer) node.append(el("span", { class: "cs-answer" }, ...marked(text.slice(from, to), spans, from)));
    node.append(...marked(text.slice(to), spans, to));
    return node;
  }

  function copyButton(href, say) {
    if (!navigator.clipboard) return null;
    const button = el("button", { type: "button", class: "cs-copy", text: say.copy });
    button.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(href); button.textContent = say.copied; }
      catch (err) { button.textContent = say.select; }
      setTimeout(() => { button.textContent = say.copy; }, 2000);
    });
    return button;
  }

  function widget(host) {
    const base = apiBase(host.dataset.curatedSearch);
    // Result headings start at the level the host page gives (data-heading-level, 2 by default), so
    // that they follow the page's own headings in order.
    const top = Math.min(5, Math.max(1, parseInt(host.dataset.headingLevel || "2", 10) || 2));
    const heading = (below) => `h${top + below}`;
    const n = ++counter;
    const boxLanguage = language(host.dataset.lang || document.documentElement.lang);
    const box = TEXT[boxLanguage];
    let say = box;
    const root = host.attachShadow({ mode: "open" });
    const input = el("input", { id: `cs-q-${n}`, type: "search", name: "q", maxlength: "500", autocomplete: "off",
                                placeholder: host.dataset.placeholder || box.placeholder });
    const list = el("ul", { id: `cs-list-${n}`, class: "cs-listbox", "aria-label": box.suggestions, hidden: true });
    const form = el("form", { class: "cs-form", role: "search", action: base + "/", method: "get" },
      el("label", { for: input.id, text: host.dataset.label || box.label }),
      el("div", { class: "cs-row" }, el("div", { class: "cs-combo" }, input, list),
         el("button", { type: "submit", class: "cs-submit", text: box.search })));
    const status = el("p", { class: "cs-status", role: "status", "aria-live": "polite" });
    const results = el("div", { class: "cs-results" });
    const note = el("p", { class: "cs-note", text: box.note });
    root.append(el("link", { rel: "stylesheet", href: base + "/widget.css" }),
                el("div", { class: "cs" }, form, status, results, note));
    let query = { q: "" };

    const beacon = (rank) => {
      if (navigator.sendBeacon) navigator.sendBeacon(`${base}/api/click?rank=${rank}`);
    };
    const link = (href, text, rank) => {
      const a = el("a", { href: absolute(base, href), text });
      a.addEventListener("click", () => beacon(rank));
      return a;
    };
    // The address "Copy link" copies, shown as a person reads it (escapes decoded), as on the search page.
    const readable = (address) => { try { return decodeURI(address); } catch (err) { return address; } };
    const section = (hit, rank) => {
      const shared = absolute(base, hit.public_link || hit.link);
      return el("li", { class: "cs-section" },
        el(heading(1), { class: "cs-section-title" }, link(hit.link, hit.section || say.introduction, rank)),
        hit.shown_above ? el("p", { class: "cs-above", text: say.above })
          : excerpt(hit.excerpt || { text: hit.text || "", highlights: [] }),
        shared ? el("p", { class: "cs-link" }, el("span", { class: "cs-hidden", text: say.link + " " }),
                    el("code", { text: readable(shared) }), " ", copyButton(shared, say)) : null);
    };
    const page = (result, rank) => {
      const meta = el("p", { class: "cs-meta" });
      meta.append(el("span", { text: result.page.source }));
      if (result.page.updated) meta.append(" · ", el("span", { text: say.reviewed + " " }, el("time", { datetime: result.page.updated, text: result.page.updated })));
      const title = el(heading(0), { class: "cs-page-title" }, link(result.page.url, result.page.title, rank));
      if (result.page.detail) title.append(" ", el("span", { class: "cs-detail", text: `· ${result.page.detail}` }));
      if (result.page.language && result.page.language !== say.code) {
        title.append(" ", el("span", { class: "cs-detail", text: `· ${say.languages[language(result.page.language)]}` }));
      }
      return el("li", { class: "cs-page" }, title, meta,
        el("ul", { class: "cs-sections" }, ...result.passages.slice(0, 3).map((hit) => section(hit, rank))));
    };
    const recommended = (items) => el("section", { class: "cs-recommended", "aria-label": say.recommended },
      el(heading(0), { class: "cs-label", text: say.recommended }),
      el("ul", { class: "cs-sections" }, ...items.map((item) => section(
        { ...item, section: item.section ? `${item.page.title}: ${item.section}` : item.page.title }, 0))));
    const helpline = (body) => body.helpline ? el("p", { class: "cs-helpline", text: fill(say.talk, { helpline: body.helpline }) }) : null;
    const noMatch = (body) => el("div", { class: "cs-empty" },
      el(heading(0), { class: "cs-page-title", text: say.noMatch }),
      el("p", { text: fill(say.notFound, { query: body.query }) }),
      el("ul", {}, el("li", { text: say.tryOther }),
         el("li", { text: say.spelling }),
         el("li", {}, el("a", { href: absolute(base, `/?q=${encodeURIComponent(body.query)}`),
                                text: say.fullPage }))),
      helpline(body));
    const weak = (body) => el("div", { class: "cs-weak", role: "note" },
      el("p", {}, el("strong", { text: say.weak }),
         (body.missing && body.missing.length ? " " + fill(say.missing, { words: body.missing.map((w) => `“${w}”`).join(", ") }) : "") +
         " " + say.closest),
      helpline(body));

    function render(body, append) {
      const offset = body.offset || 0;
      say = { ...TEXT[language(body.language || boxLanguage)], code: language(body.language || boxLanguage) };
      if (!append) {
        results.replaceChildren();
        if (body.corrected_query) {
          const instead = el("button", { type: "button", class: "cs-instead", text: body.query });
          instead.addEventListener("click", () => search(body.query, 0, false));
          results.append(el("p", { class: "cs-corrected" }, say.correctedFor + " ",
            el("em", { text: body.corrected_query }), ". " + say.instead + " ", instead));
        }
        if (body.recommended && body.recommended.length) results.append(recommended(body.recommended));
        if (!body.results.length && !(body.recommended && body.recommended.length)) {
          results.append(noMatch(body));
          status.textContent = fill(say.noMatchFor, { query: body.query });
          return;
        }
        if (body.match === "weak") results.append(weak(body));
        results.append(el("ol", { class: "cs-pages" }));
        const searched = body.corrected_query || body.query;
        status.textContent = fill(say.found, { num: body.total, query: searched }) + "." + (body.match === "weak" ? " " + say.mayNot : "");
      }
      const ol = results.querySelector("ol.cs-pages");
      const added = body.results.map((result, i) => page(result, offset + i + 1));
      ol.append(...added);
      results.querySelector(".cs-more")?.remove();
      if (offset + body.limit < body.total) {
        const more = el("button", { type: "button", class: "cs-more", text: say.more });
        more.addEventListener("click", () => search(query.q, offset + body.limit, query.correct));
        results.append(more);
      }
      if (append) {
        status.textContent = fill(say.showing, { shown: Math.min(offset + body.limit, body.total), total: body.total });
        // The "More results" button is gone: focus moves to the first new result, not to <body>.
        added[0]?.querySelector("a")?.focus();
      }
    }

    function search(q, offset = 0, correct = true) {
      query = { q, correct };
      const params = { q, limit: LIMIT, offset, lang: boxLanguage };
      if (!correct) params.correct = "false";
      status.textContent = box.searching;
      return api(base, "/api/search", params, box.unavailable)
        .then((body) => render(body, offset > 0))
        .catch((err) => { status.textContent = err.message; });
    }

    const close = combobox(input, list, base, boxLanguage, (text) => search(text));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      close();
      const q = input.value.trim();
      if (q) search(q); else { status.textContent = box.type; input.focus(); }
    });
  }

  function start() {
    document.querySelectorAll("[data-curated-search]").forEach((host) => { if (!host.shadowRoot) widget(host); });
    document.querySelectorAll("input[data-suggest]").forEach((input) => {
      const list = document.getElementById(input.dataset.suggest);
      if (list) combobox(input, list, BASE, language(document.documentElement.lang),
        () => input.form.requestSubmit ? input.form.requestSubmit() : input.form.submit());
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
