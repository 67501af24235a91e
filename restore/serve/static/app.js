// The page of `restore serve`: forms from GET /api/v1/tasks, jobs through POST /api/v1/<task>?mode=async,
// progress by polling, results kept in the browser for the before/after slider, downloads and the zip.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { tasks: [], models: [], picked: [], jobs: new Map(), order: [] };
// which models' tasks serve each command (the weather commands share one model; sr also runs sr-any)
// and a ×1 community model file ("file") serves denoise and dejpeg
const MODEL_TASKS = { sr: ["sr", "sr-any"], denoise: ["denoise", "file"], dejpeg: ["dejpeg", "file"],
                      dehaze: ["weather"], derain: ["weather"], desnow: ["weather"], deweather: ["weather"],
                      encode: ["codec"] };
const ADVANCED = new Set(["tile", "precision", "overlap", "quality", "ext"]);

async function api(path, options) {
  const r = await fetch(path, options);
  if (!r.ok) {
    let msg = r.status + " " + r.statusText;
    try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
    throw new Error(msg);
  }
  return r;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// -- the form --------------------------------------------------------------------------------------------
function currentTask() { return state.tasks.find((t) => t.task === $("task").value); }

function fieldInput(f) {
  const id = "f-" + f.name;
  if (f.name === "model") {
    const tasks = MODEL_TASKS[currentTask().task] || [currentTask().task];
    const sel = el("select", { id, name: f.name }, el("option", { value: "" }, "default"));
    for (const m of state.models.filter((m) => tasks.includes(m.task))) {
      sel.append(el("option", { value: m.id }, m.id + (m.aliases.length ? " (" + m.aliases.join(", ") + ")" : "")));
    }
    return sel;
  }
  if (f.kind === "flag") return el("input", { id, name: f.name, type: "checkbox" });
  if (f.kind === "choice") {
    const sel = el("select", { id, name: f.name });
    for (const c of f.choices) sel.append(el("option", { value: c, ...(c === f.default ? { selected: "" } : {}) }, c));
    return sel;
  }
  const input = el("input", { id, name: f.name, type: f.kind === "text" ? "text" : "number",
    placeholder: f.default === null ? "" : String(f.default), step: f.kind === "int" ? "1" : "any",
    min: f.min === null ? undefined : f.min, max: f.max === null ? undefined : f.max });
  return input;
}

function buildForm() {
  const t = currentTask();
  $("task-help").textContent = t.help;
  $("fields").replaceChildren();
  $("more-fields").replaceChildren();
  for (const f of t.fields) {
    const box = el("div", { class: "field" }, el("label", { for: "f-" + f.name, class: "name" }, f.name),
      fieldInput(f), el("div", { class: "help" }, f.help));
    (ADVANCED.has(f.name) ? $("more-fields") : $("fields")).append(box);
  }
  updatePicked();
}

function formFields() {
  const out = [];
  for (const f of currentTask().fields) {
    const input = $("f-" + f.name);
    if (f.kind === "flag") { if (input.checked) out.push([f.name, "true"]); continue; }
    if (input.value !== "" && !(f.kind === "choice" && input.value === f.default)) out.push([f.name, input.value]);
  }
  return out;
}

// -- picking files ------------------------------------------------------------------------------------------
function pick(files) {
  state.picked = Array.from(files).filter((f) => !f.name.startsWith("."));
  updatePicked();
}

function updatePicked() {
  const n = state.picked.length;
  $("picked").textContent = n ? n + " file" + (n > 1 ? "s" : "") + ": " + state.picked.slice(0, 4).map(
    (f) => f.webkitRelativePath || f.name).join(", ") + (n > 4 ? ", …" : "") : "nothing picked";
  const burst = currentTask() && currentTask().task === "burst";
  $("run").disabled = n === 0 || (burst && n < 2);
  $("run").textContent = n === 0 ? "Run" : burst ? "Fuse " + n + " frames" : "Run on " + n + " file" + (n > 1 ? "s" : "");
}

// -- jobs ---------------------------------------------------------------------------------------------------
async function submit(task, files, fields) {
  const body = new FormData();
  for (const f of files) body.append("image", f, f.name);
  body.append("name", files[0].webkitRelativePath || files[0].name);
  for (const [k, v] of fields) body.append(k, v);
  const entry = { files, inputURL: files[0].type.startsWith("image/") && task !== "burst" ? URL.createObjectURL(files[0]) : null,
                  job: { id: "pending-" + Math.random(), task, name: files[0].name, state: "sending",
                         options: Object.fromEntries(fields), progress: { done: 0, total: 0 } } };
  addJob(entry);
  try {
    const r = await api("/api/v1/" + task + "?mode=async", { method: "POST", body });
    const job = await r.json();
    state.jobs.delete(entry.job.id);
    state.order[state.order.indexOf(entry.job.id)] = job.id;
    entry.job = job;
    state.jobs.set(job.id, entry);
  } catch (e) {
    entry.job.state = "failed";
    entry.job.error = e.message;
  }
  render(entry);
}

function addJob(entry) {
  state.jobs.set(entry.job.id, entry);
  state.order.push(entry.job.id);
  entry.node = el("li", { class: "job" });
  $("jobs").prepend(entry.node);
  render(entry);
}

function settingsText(job) {
  const opts = Object.entries(job.options || {}).map(([k, v]) => "--" + k + " " + v).join(" ");
  return job.command || ("restore " + job.task + " " + opts);
}

function render(entry) {
  const j = entry.job;
  entry.node.className = "job " + j.state;
  const p = j.progress || { done: 0, total: 0 };
  const parts = [el("div", { class: "title" }, j.name),
    el("div", { class: "cmd", title: "the settings this job ran with" }, settingsText(j)),
    el("div", { class: "state" }, j.state + (j.state === "running" && p.total ? " · tile " + p.done + " of " + p.total : "")
      + (j.seconds ? " · " + j.seconds + " s" : ""))];
  if (j.state === "running" || j.state === "queued") {
    parts.push(el("progress", { max: p.total || 1, value: p.done }));
  }
  if (ranModels(j)) parts.push(el("div", { class: "help" }, "model: " + (j.note || ranModels(j))));
  if (j.info && j.info.bytes !== undefined) {
    parts.push(el("div", { class: "help codec" }, j.info.bytes + " bytes · " + j.info.bpp.toFixed(3) + " bpp · PSNR "
      + j.info.psnr.toFixed(2) + " dB"));
  }
  if (j.error) parts.push(el("div", { class: "error" }, j.error));
  const actions = el("div", { class: "actions" });
  if (j.state === "running" || j.state === "queued") {
    actions.append(el("button", { onclick: () => api("/api/v1/jobs/" + j.id + "/cancel", { method: "POST" }) }, "Cancel"));
  }
  if (entry.resultURL) {
    actions.append(el("a", { class: "button", href: entry.resultURL, download: entry.resultName }, "Download"));
    if (entry.viewable) actions.append(el("button", { onclick: () => view(j.id) }, "View"));
  }
  parts.push(actions);
  entry.node.replaceChildren(...parts);
  updateZip();
  fillViewerChoices();
}

async function poll() {
  for (const entry of state.jobs.values()) {
    const j = entry.job;
    if (!["queued", "running"].includes(j.state)) continue;
    try {
      entry.job = await (await api("/api/v1/jobs/" + j.id)).json();
    } catch (e) { entry.job.state = "failed"; entry.job.error = e.message; }
    if (entry.job.state === "done") await fetchResult(entry);
    render(entry);
  }
  setTimeout(poll, 400);
}

async function fetchResult(entry) {
  const r = await api("/api/v1/jobs/" + entry.job.id + "/result?keep=1");
  const blob = await r.blob();
  const cd = r.headers.get("content-disposition") || "";
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  entry.resultName = m ? decodeURIComponent(m[1]) : "result";
  entry.resultURL = URL.createObjectURL(blob);
  entry.viewable = blob.type.startsWith("image/") && !blob.type.includes("tiff");
  if (entry.viewable && !$("stage").classList.contains("shown")) view(entry.job.id);
}

function updateZip() {
  const done = state.order.filter((id) => state.jobs.get(id) && state.jobs.get(id).resultURL);
  $("zip").hidden = done.length < 2;
  $("zip").href = "/api/v1/jobs.zip?ids=" + done.join(",");
}

$("clear").addEventListener("click", async () => {
  for (const [id, entry] of [...state.jobs]) {
    if (["done", "failed", "cancelled"].includes(entry.job.state)) {
      if (!id.startsWith("pending")) api("/api/v1/jobs/" + id, { method: "DELETE" }).catch(() => {});
      entry.node.remove();
      state.jobs.delete(id);
      state.order = state.order.filter((x) => x !== id);
    }
  }
  updateZip();
  fillViewerChoices();
});

// -- the before/after viewer ------------------------------------------------------------------------------
const view_ = { zoom: "fit", split: 50 };

// what ran: sr's note names the models it chose ("a + b (why)"); else every model the job loaded
function ranModels(job) {
  return job.note ? job.note.split(" (")[0] : (job.models || []).join(" + ");
}

function sources() {
  const out = [];
  for (const id of state.order) {
    const e = state.jobs.get(id);
    if (!e) continue;
    if (e.inputURL) out.push({ key: "in:" + id, label: "input · " + e.job.name, url: e.inputURL });
    if (e.resultURL && e.viewable) out.push({ key: "out:" + id, label: e.job.task + " · " + e.job.name
      + (ranModels(e.job) ? " · " + ranModels(e.job) : ""), url: e.resultURL });
  }
  return out;
}

function fillViewerChoices() {
  const src = sources();
  for (const side of ["left", "right"]) {
    const sel = $(side);
    const keep = sel.value;
    sel.replaceChildren(...src.map((s) => el("option", { value: s.key }, s.label)));
    if (src.some((s) => s.key === keep)) sel.value = keep;
  }
}

function view(id) {
  fillViewerChoices();
  const e = state.jobs.get(id);
  $("left").value = e.inputURL ? "in:" + id : $("left").value;
  $("right").value = "out:" + id;
  show();
}

function show() {
  const src = Object.fromEntries(sources().map((s) => [s.key, s]));
  const l = src[$("left").value], r = src[$("right").value];
  if (!r) return;
  $("img-left").src = l ? l.url : "";
  $("tag-left").textContent = l ? l.label : "";
  $("tag-right").textContent = r.label;
  $("img-right").onload = layout;
  $("img-right").src = r.url;
  $("stage").classList.add("shown");
  $("empty").hidden = true;
}

function layout() {
  const img = $("img-right"), vp = $("viewport"), stage = $("stage");
  const w = img.naturalWidth, h = img.naturalHeight;
  if (!w) return;
  const z = view_.zoom === "fit" ? Math.min((vp.clientWidth - 4) / w, (vp.clientHeight - 4) / h) : Number(view_.zoom);
  stage.style.width = w * z + "px";
  stage.style.height = h * z + "px";
  $("img-left").style.width = w * z + "px";
  $("img-left").style.height = h * z + "px";
  stage.classList.toggle("pixels", z >= 1 && view_.zoom !== "fit");
  split(view_.split);
}

function split(pct) {
  view_.split = Math.max(0, Math.min(100, pct));
  $("clip").style.width = view_.split + "%";
  $("handle").style.left = view_.split + "%";
  $("split").value = view_.split;
}

$("split").addEventListener("input", (e) => split(Number(e.target.value)));
$("left").addEventListener("change", show);
$("right").addEventListener("change", show);
for (const b of document.querySelectorAll("[data-zoom]")) {
  b.addEventListener("click", () => {
    view_.zoom = b.dataset.zoom;
    document.querySelectorAll("[data-zoom]").forEach((x) => x.classList.toggle("on", x === b));
    layout();
  });
}
let dragging = false;
const stage = $("stage");
stage.addEventListener("pointerdown", (e) => { dragging = true; stage.setPointerCapture(e.pointerId); move(e); });
stage.addEventListener("pointermove", (e) => { if (dragging) move(e); });
stage.addEventListener("pointerup", () => { dragging = false; });
function move(e) {
  const r = stage.getBoundingClientRect();
  split(((e.clientX - r.left) / r.width) * 100);
}
window.addEventListener("resize", layout);

// -- start ------------------------------------------------------------------------------------------------
$("files").addEventListener("change", (e) => pick(e.target.files));
$("folder").addEventListener("change", (e) => pick(e.target.files));
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); pick(e.dataTransfer.files); });
$("task").addEventListener("change", buildForm);
$("run").addEventListener("click", () => {
  const t = currentTask(), fields = formFields();
  if (t.task === "burst") submit(t.task, state.picked, fields);
  else for (const f of state.picked) submit(t.task, [f], fields);
});

(async function start() {
  [state.tasks, state.models] = await Promise.all([
    api("/api/v1/tasks").then((r) => r.json()), api("/api/v1/models").then((r) => r.json())]);
  for (const t of state.tasks) $("task").append(el("option", { value: t.task }, t.task));
  buildForm();
  poll();
})().catch((e) => { $("task-help").textContent = "could not reach the server: " + e.message; });
