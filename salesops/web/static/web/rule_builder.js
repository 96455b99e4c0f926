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
  return {
    triggerType: state.values.trigger_type,
    entity: state.values.entity,
    event: state.values.event,
    timerField: state.values.field,
    repeatEvery: state.values.repeat_every,
    kinds: catalogue.actions,
    newKind: specOf("notify") ? "notify" : (catalogue.actions[0] || {}).kind,
    actions: (state.values.actions || []).map((c, i) => toUi(c || {}, state.action_errors[String(i)])),
    init() {
      this.$watch("entity", () => {
        if (this.event && !this.events.some((e) => e.name === this.event)) this.event = "";
        if (!this.timerFields.includes(this.timerField)) this.timerField = this.timerFields[0] || "";
        this.recheck();
      });
      this.$watch("triggerType", () => this.recheck());
      this.$watch("event", () => this.recheck());
      if (!this.timerFields.includes(this.timerField)) this.timerField = this.timerFields[0] || "";
    },
    /* The variables a condition may read depend on the trigger: check it again. */
    recheck() {
      this.$nextTick(() => {
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
