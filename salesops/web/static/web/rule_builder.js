/* The rule builder's state (Alpine component "ruleBuilder", CSP build). The catalogue comes
   from the server in the json_script block #builder-state (entities, events, actions with
   the settings each takes); the actions are kept as a list of {kind, values} for the inputs
   and posted as JSON in the shape the API uses. */
(function () {
"use strict";
function ruleBuilder() {
  const state = JSON.parse(document.getElementById("builder-state").textContent);
  const catalogue = state.catalogue;
  let counter = 0;
  const specOf = (kind) => catalogue.actions.find((a) => a.kind === kind);
  const toUi = (config, errors) => {
    const spec = specOf(config.kind);
    const values = {};
    for (const f of spec ? spec.fields : []) {
      const v = config[f.name];
      values[f.name] = Array.isArray(v) ? v.join(", ") : v === null || v === undefined ? "" : String(v);
    }
    return { uid: ++counter, kind: config.kind, values, raw: spec ? null : config, errors: errors || {} };
  };
  const TARGETS = ["owner", "manager", "manager:2", "role:director", "role:admin"];
  const LIST_OPS = ["in", "not_in"];
  const NO_VALUE = ["empty", "set", "true", "false"];
  const DAY_OPS = ["ago_more", "ago_within", "ahead_within"];
  const toRow = (r) => ({
    uid: ++counter,
    field: r.field || "",
    op: r.op || "",
    value: Array.isArray(r.value) ? "" : String(r.value ?? ""),
    values: Array.isArray(r.value) ? r.value.map(String) : [],
  });
  const tokenLabel = (token) => {
    const [kind, arg] = token.split(":");
    if (kind === "owner") return state.labels.owner;
    if (kind === "manager") return state.labels.manager.replace("N", arg || "1");
    if (kind === "role") {
      const r = catalogue.roles.find((x) => x.value === arg);
      return state.labels.role + " " + (r ? r.label : arg);
    }
    if (kind === "user") {
      const u = catalogue.users.find((x) => String(x.value) === arg);
      return u ? u.label : token;
    }
    return token;
  };
  return {
    triggerType: state.values.trigger_type,
    entity: state.values.entity,
    event: state.values.event,
    timerField: state.values.field,
    repeatEvery: state.values.repeat_every,
    kinds: catalogue.actions,
    newKind: specOf("notify") ? "notify" : (catalogue.actions[0] || {}).kind,
    actions: (state.values.actions || []).map((c, i) => toUi(c || {}, state.action_errors[String(i)])),
    every: state.values.every || "daily",
    conditionMode: state.values.condition_mode || "builder",
    join: state.values.condition_join || "and",
    rows: (state.values.condition_rows || []).map(toRow),
    modeProblem: "",
    suggestions: [],
    suggestTarget: "id_condition",
    pickKind: "owner",
    pickLevel: "1",
    pickRole: (catalogue.roles[0] || {}).value || "",
    pickUser: "",
    init() {
      this.$watch("entity", () => {
        if (this.event && !this.events.some((e) => e.name === this.event)) this.event = "";
        if (!this.timerFields.includes(this.timerField)) this.timerField = this.timerFields[0] || "";
        this.recheck();
      });
      this.$watch("triggerType", () => this.recheck());
      this.$watch("event", () => this.recheck());
      this.$watch("join", () => this.recheck());
      if (!this.timerFields.includes(this.timerField)) this.timerField = this.timerFields[0] || "";
    },
    /* The variables a condition may read depend on the trigger: check it again. */
    recheck() {
      this.$nextTick(() => {
        const rowsInput = document.getElementById("id_condition_rows");
        if (rowsInput) rowsInput.value = this.rowsJson;
        for (const id of ["id_condition", "id_unless"]) {
          const el = document.getElementById(id);
          if (el && window.htmx && (id === "id_condition" || el.value)) htmx.trigger(el, "refresh");
        }
      });
    },
    get entityInfo() { return catalogue.entities.find((e) => e.key === this.entity) || null; },
    get events() {
      return this.entity ? catalogue.events.filter((e) => e.entity === this.entity) : catalogue.events;
    },
    get eventFields() {
      const e = catalogue.events.find((x) => x.name === this.event);
      return e ? e.fields : [];
    },
    /* --- condition rows --- */
    get conditionFields() {
      const deleted = this.triggerType === "event" && /\.deleted$/.test(this.event);
      // An event rule is about the event's entity even when none was chosen.
      const ev = this.triggerType === "event" ? catalogue.events.find((e) => e.name === this.event) : null;
      const entity = ev ? ev.entity : this.entity;
      const record = entity && !deleted ? (catalogue.record_fields[entity] || []) : [];
      const key = this.triggerType === "event" ? "event:" + this.event : this.triggerType;
      return record.concat(catalogue.extra_fields[key] || []);
    },
    get variableNames() { return this.conditionFields.map((f) => f.name).concat(["now"]); },
    get rowsJson() {
      return JSON.stringify(this.rows.map((r) => ({
        field: r.field, op: r.op, value: LIST_OPS.includes(r.op) ? r.values : r.value,
      })));
    },
    specOf(r) { return this.conditionFields.find((f) => f.name === r.field) || null; },
    opsOf(r) { const f = this.specOf(r); return f ? (catalogue.operators[f.kind] || []) : []; },
    choicesOf(r) {
      const f = this.specOf(r);
      if (!f) return [];
      const list = f.kind === "user" ? catalogue.users : f.choices || [];
      return list.map((c) => ({ value: String(c.value), label: c.label }));
    },
    get users() { return catalogue.users.map((u) => ({ value: String(u.value), label: u.label })); },
    get roles() { return catalogue.roles; },
    valueWidget(r) {
      const f = this.specOf(r);
      if (!f || !r.op || NO_VALUE.includes(r.op)) return "none";
      if (DAY_OPS.includes(r.op)) return "days";
      if (LIST_OPS.includes(r.op)) return "multiple";
      if (["choice", "multi", "user"].includes(f.kind) || (f.kind === "reference" && f.choices)) return "select";
      if (f.kind === "number" || f.kind === "reference") return "number";
      return "text";
    },
    fieldChanged(r) {
      const ops = this.opsOf(r);
      r.op = ops.length ? ops[0].op : "";
      r.value = "";
      r.values = [];
      const choices = this.choicesOf(r);
      if (this.valueWidget(r) === "select" && choices.length) r.value = choices[0].value;
      this.recheck();
    },
    rowChanged() { this.recheck(); },
    addRow() { this.rows.push(toRow({})); },
    removeRow(i) { this.rows.splice(i, 1); this.recheck(); },
    toExpert() {
      const el = document.querySelector("#check-condition [data-compiled]");
      const text = el ? el.getAttribute("data-compiled") : "";
      const area = document.getElementById("id_condition");
      if (area && text) area.value = text;
      this.modeProblem = "";
      this.conditionMode = "expert";
      this.recheck();
    },
    toBuilder() {
      const area = document.getElementById("id_condition");
      const checked = document.querySelector("#check-condition [data-source]");
      if (area && area.value.trim() && (!checked || checked.getAttribute("data-source") !== area.value)) {
        this.modeProblem = state.labels.checking;  // the live check has not seen this text yet
        return;
      }
      const el = checked && checked.hasAttribute("data-rows") ? checked : null;
      if (area && area.value.trim() && !el) {
        this.modeProblem = state.labels.cannot_parse;
        return;
      }
      const parsed = el ? JSON.parse(el.getAttribute("data-rows")) : { rows: [], join: "and" };
      this.rows = parsed.rows.map(toRow);
      this.join = parsed.join;
      this.modeProblem = "";
      this.conditionMode = "builder";
      this.recheck();
    },
    /* --- completion of variable names in the expert text --- */
    complete(event) {
      const el = event.target;
      this.suggestTarget = el.id;
      const before = el.value.slice(0, el.selectionStart);
      const m = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before);
      if (!m) { this.suggestions = []; return; }
      const word = m[0];
      this.suggestions = this.conditionFields
        .filter((f) => f.name.startsWith(word) && f.name !== word)
        .slice(0, 8)
        .map((f) => ({ name: f.name, label: f.label }));
    },
    insertName(name) {
      const el = document.getElementById(this.suggestTarget || "id_condition");
      const pos = el.selectionStart;
      const before = el.value.slice(0, pos).replace(/[A-Za-z_][A-Za-z0-9_]*$/, "");
      el.value = before + name + el.value.slice(pos);
      const caret = before.length + name.length;
      el.focus();
      el.setSelectionRange(caret, caret);
      this.suggestions = [];
      el.dispatchEvent(new Event("input", { bubbles: true }));
    },
    /* --- recipients from dropdowns --- */
    tokensOf(a, f) {
      const raw = String(a.values[f.name] || "");
      return raw.split(/[,，\n]/).map((s) => s.trim()).filter(Boolean).map((t) => ({ token: t, label: tokenLabel(t) }));
    },
    pickedToken(f) {
      if (this.pickKind === "owner") return "owner";
      if (this.pickKind === "manager") return "manager:" + (/^\d+$/.test(this.pickLevel) ? this.pickLevel : "1");
      if (this.pickKind === "role" && f.type !== "target") return this.pickRole ? "role:" + this.pickRole : "";
      if (this.pickKind === "user") return this.pickUser ? "user:" + this.pickUser : "";
      return "";
    },
    addRecipient(a, f) {
      const token = this.pickedToken(f);
      if (token) this.pick(a, f, token);
    },
    dropRecipient(a, f, token) {
      const left = this.tokensOf(a, f).map((t) => t.token).filter((t) => t !== token);
      a.values[f.name] = left.join(", ");
    },
    get timerFields() { return this.entityInfo ? this.entityInfo.timer_fields : []; },
    get settableFields() { return this.entityInfo ? this.entityInfo.settable_fields : []; },
    label(kind) { const s = specOf(kind); return s ? s.label : kind; },
    fieldsOf(a) { const s = specOf(a.kind); return s ? s.fields : []; },
    widget(f) {
      if (f.type === "choice") return "choice";
      if (f.type === "field") return "field";
      if (f.type === "integer") return "number";
      if (f.type === "template" && f.name !== "title") return "textarea";
      return "text";
    },
    targetsFor(f) {
      if (f.type === "target") return ["owner", "manager", "manager:2"];
      return TARGETS;
    },
    pick(a, f, target) {
      if (f.type === "target") { a.values[f.name] = target; return; }
      const current = (a.values[f.name] || "").split(/[,，\n]/).map((s) => s.trim()).filter(Boolean);
      if (!current.includes(target)) current.push(target);
      a.values[f.name] = current.join(", ");
    },
    add() {
      const spec = specOf(this.newKind);
      if (!spec) return;
      const config = { kind: spec.kind };
      for (const f of spec.fields) {
        if (f.type === "list") config[f.name] = ["owner"];
        else if (f.type === "target") config[f.name] = "owner";
        else if (f.type === "choice") config[f.name] = (f.choices || [])[0] || "";
      }
      this.actions.push(toUi(config));
    },
    remove(i) { this.actions.splice(i, 1); },
    move(i, step) {
      const j = i + step;
      if (j < 0 || j >= this.actions.length) return;
      const [a] = this.actions.splice(i, 1);
      this.actions.splice(j, 0, a);
    },
    get serialised() {
      return JSON.stringify(this.actions.map((a) => {
        if (a.raw) return a.raw;
        const out = { kind: a.kind };
        for (const f of this.fieldsOf(a)) {
          const v = String(a.values[f.name] ?? "").trim();
          if (f.type === "list") out[f.name] = v.split(/[,，\n]/).map((s) => s.trim()).filter(Boolean);
          else if (f.type === "integer") out[f.name] = v === "" ? null : /^\d+$/.test(v) ? Number(v) : v;
          else out[f.name] = v;
        }
        return out;
      }));
    },
  };
}

document.addEventListener("alpine:init", function () {
  window.Alpine.data("ruleBuilder", ruleBuilder);
});
})();
