// Search-as-you-type for the search box: an ARIA 1.2 combobox (list autocomplete, no automatic selection)
// over GET /api/suggest. Without JavaScript the box is a plain search field and the form works as before.
// Up/Down move through the completions, Enter takes the highlighted one and searches it, Escape closes.
"use strict";

(function () {
  const input = document.getElementById("q");
  if (!input || !input.dataset.suggest || !window.fetch) return;
  const form = input.form;
  const url = input.dataset.suggest;
  const DELAY_MS = 60;
  const LIMIT = 8;

  const list = document.createElement("ul");
  list.id = "q-completions";
  list.className = "completions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "اقتراحات البحث");
  list.hidden = true;
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  input.insertAdjacentElement("afterend", list);
  list.insertAdjacentElement("afterend", status);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);

  const cache = new Map();
  let items = [];
  let active = -1;
  let timer = 0;
  let pending = null;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    const options = list.children;
    if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
    active = index;
    if (active >= 0) {
      options[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function show(typed, completions) {
    if (typed !== input.value) return; // an answer to what was typed before
    items = completions;
    list.replaceChildren();
    active = -1;
    input.removeAttribute("aria-activedescendant");
    completions.forEach(function (completion, index) {
      const option = document.createElement("li");
      option.id = "q-completion-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dir = "auto";
      const text = document.createElement("span");
      text.textContent = completion.text;
      const count = document.createElement("span");
      count.className = "count";
      count.setAttribute("aria-hidden", "true");
      count.textContent = completion.count;
      option.append(text, count);
      option.addEventListener("mousedown", function (event) { event.preventDefault(); });
      option.addEventListener("click", function () { choose(index); });
      list.append(option);
    });
    if (completions.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = counted(completions.length) + "، تنقّل بينها بالسهمين";
    } else {
      close();
      status.textContent = "";
    }
  }

  function counted(n) { // Arabic number agreement: 1, 2, 3-10, 11 and more
    if (n === 1) return "اقتراح واحد";
    if (n === 2) return "اقتراحان";
    return n + (n <= 10 ? " اقتراحات" : " اقتراحًا");
  }

  function choose(index) {
    input.value = items[index].text;
    close();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function fetchCompletions() {
    const typed = input.value;
    if (typed.trim().length < 2) { close(); return; }
    if (cache.has(typed)) { show(typed, cache.get(typed)); return; }
    if (pending) pending.abort();
    pending = new AbortController();
    const query = new URLSearchParams({ q: typed, limit: String(LIMIT) });
    fetch(url + "?" + query, { signal: pending.signal, headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { completions: [] }; })
      .then(function (body) { cache.set(typed, body.completions); show(typed, body.completions); })
      .catch(function () { /* aborted or offline: the form still searches */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchCompletions, DELAY_MS);
  });

  input.addEventListener("keydown", function (event) {
    const open = !list.hidden && items.length > 0;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!open) { fetchCompletions(); return; }
      highlight(active + 1 < items.length ? active + 1 : 0);
    } else if (event.key === "ArrowUp") {
      if (!open) return;
      event.preventDefault();
      highlight(active > 0 ? active - 1 : items.length - 1);
    } else if (event.key === "Enter") {
      if (open && active >= 0) { event.preventDefault(); choose(active); } else { close(); }
    } else if (event.key === "Escape") {
      if (open) { event.preventDefault(); close(); }
    } else if (event.key === "Tab") {
      close();
    }
  });

  input.addEventListener("blur", close);
})();
