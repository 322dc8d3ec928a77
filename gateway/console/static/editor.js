// The policy editor's live check: line numbers beside the YAML, and after each pause
// in typing (600 ms) the server's schema and YAML errors listed under it, each a
// button that puts the caret on its line. Without this file the editor is a plain
// textarea and the Validate button does the same check (and runs the tests).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const area = document.querySelector("textarea[data-check]");
  const live = document.getElementById("policy-live");
  if (!area || !live) {
    return;
  }
  const form = area.form;
  const status = live.querySelector("[role=status]");
  const list = live.querySelector("ul");
  const gutter = document.createElement("div");
  gutter.className = "gutter";
  gutter.setAttribute("aria-hidden", "true"); // the numbers are read out with each error
  area.before(gutter);
  area.parentElement.classList.add("numbered");

  let marked = new Set();
  let timer = 0;
  let running = false;
  let again = false;
  let pausedUntil = 0;

  function drawGutter() {
    const count = area.value.split("\n").length;
    if (gutter.childElementCount !== count) {
      gutter.replaceChildren();
      for (let n = 1; n <= count; n++) {
        const number = document.createElement("span");
        number.textContent = String(n);
        gutter.append(number);
      }
    }
    gutter.querySelectorAll("span").forEach((number, i) => {
      number.classList.toggle("bad", marked.has(i + 1));
    });
    gutter.scrollTop = area.scrollTop;
  }

  function goToLine(line) {
    const lines = area.value.split("\n");
    let at = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) {
      at += lines[i].length + 1;
    }
    area.focus();
    area.setSelectionRange(at, at);
    const height = area.scrollHeight / Math.max(lines.length, 1);
    area.scrollTop = Math.max(0, (line - 3) * height);
    drawGutter();
  }

  function show(message, problems) {
    live.hidden = false;
    status.textContent = message;
    list.replaceChildren();
    marked = new Set();
    for (const problem of problems) {
      const item = document.createElement("li");
      if (problem.line) {
        marked.add(problem.line);
        const jump = document.createElement("button");
        jump.type = "button";
        jump.className = "to-line";
        jump.textContent = `${live.dataset.line} ${problem.line}`;
        jump.addEventListener("click", () => goToLine(problem.line));
        item.append(jump, ": ");
      }
      item.append(problem.message);
      list.append(item);
    }
    live.classList.toggle("problem", problems.length > 0);
    drawGutter();
  }

  async function check() {
    if (running) {
      again = true;
      return;
    }
    const wait = pausedUntil - Date.now();
    if (wait > 0) {
      schedule(wait);
      return;
    }
    running = true;
    const body = new URLSearchParams();
    body.set("csrf", form.elements.namedItem("csrf").value);
    body.set("yaml", area.value);
    try {
      const reply = await fetch(area.dataset.check, {
        method: "POST", body, credentials: "same-origin", headers: { accept: "application/json" },
      });
      const type = reply.headers.get("content-type") || "";
      const data = type.startsWith("application/json") ? await reply.json() : {};
      if (reply.status === 429) {
        pausedUntil = Date.now() + 1000 * (Number(data.retry_after) || 10);
        show(data.error || live.dataset.failed, []);
      } else if (!reply.ok) {
        show(data.error || live.dataset.failed, []);
      } else if (data.valid === null) {
        live.hidden = true;
        marked = new Set();
        drawGutter();
      } else if (data.valid) {
        show(live.dataset.ok, []);
      } else {
        show(`${data.problems.length} ${live.dataset.problems}`, data.problems);
      }
    } catch {
      show(live.dataset.failed, []);
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule(600);
      }
    }
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, delay);
  }

  area.addEventListener("input", () => {
    drawGutter();
    schedule(600);
  });
  area.addEventListener("scroll", () => {
    gutter.scrollTop = area.scrollTop;
  });
  drawGutter();
  if (area.value.trim()) {
    schedule(0);
  }
});
