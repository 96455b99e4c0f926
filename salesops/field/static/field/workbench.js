/* The offline workbench (/field/): my leads, accounts, today's tasks, the outbox and its
   answers, all read from IndexedDB (filled by field.js), so it works without a network. */
function salesopsWorkbench() {
  'use strict';
  const root = document.getElementById('field-workbench');
  if (!root || !window.SalesOpsField) return;
  const api = window.SalesOpsField;

  function t(name) { return root.getAttribute('data-' + name) || ''; }

  function row(title, detail, href, testid) {
    const el = document.createElement(href ? 'a' : 'div');
    el.className = 'list-group-item';
    if (href) el.href = href;
    if (testid) el.setAttribute('data-testid', testid);
    const strong = document.createElement('div');
    strong.className = 'fw-bold';
    strong.textContent = title;
    el.appendChild(strong);
    if (detail) {
      const small = document.createElement('div');
      small.className = 'text-secondary small';
      small.textContent = detail;
      el.appendChild(small);
    }
    return el;
  }

  function fill(name, nodes, empty) {
    const list = root.querySelector('[data-field-list="' + name + '"]');
    list.replaceChildren(...(nodes.length ? nodes : [row(empty, '', null, 'empty')]));
  }

  function leadRow(lead) {
    const el = row(lead.company, [lead.contact_name, lead.phone, lead.need].filter(Boolean).join(' · '), null, 'lead-row');
    const actions = document.createElement('div');
    actions.className = 'mt-1 d-flex gap-2';
    const open = document.createElement('a');
    open.href = lead.url;
    open.textContent = '#' + lead.id;
    const checkin = document.createElement('a');
    checkin.href = '/activities/check-in/?lead=' + lead.id;
    checkin.textContent = t('checkin');
    checkin.setAttribute('data-testid', 'lead-checkin');
    actions.append(open, checkin);
    el.appendChild(actions);
    return el;
  }

  function outboxRow(item) {
    const kind = t('kind-' + item.kind) || item.kind;
    const answer = item.answer || {};
    const status = item.state === 'pending' ? t('pending') : (t('status-' + answer.status) || answer.status || '');
    const detail = [status, answer.message].filter(Boolean).join(' — ');
    const href = answer.record && answer.record.url ? answer.record.url : null;
    const el = row(kind + (item.label ? ': ' + item.label : ''), detail, href, 'outbox-item');
    el.setAttribute('data-status', item.state === 'pending' ? 'pending' : (answer.status || ''));
    return el;
  }

  async function render() {
    const saved = await (await api.db()).get('working', api.userId());
    const outbox = (await api.items()).reverse();
    fill('outbox', outbox.map(outboxRow), t('outbox-empty'));
    fill('conflicts', outbox.filter((i) => i.answer && i.answer.status === 'conflict').map(outboxRow), '—');
    const age = root.querySelector('[data-field-age]');
    if (!saved) {
      age.textContent = t('never');
      ['leads', 'tasks', 'accounts'].forEach((name) => fill(name, [], t('empty')));
      return;
    }
    age.textContent = t('saved-at') + ': ' + new Date(saved.fetchedAt).toLocaleString();
    const data = saved.data;
    fill('leads', data.leads.map(leadRow), t('empty'));
    fill('tasks', data.tasks.map((task) => row(task.title, task.due_at ? new Date(task.due_at).toLocaleString() : '', task.url, 'task-row')), t('empty'));
    const contacts = {};
    data.contacts.forEach((c) => { (contacts[c.account] = contacts[c.account] || []).push(c); });
    fill('accounts', data.accounts.map((a) => row(
      a.name,
      (contacts[a.id] || []).map((c) => [c.name, c.title, c.phone].filter(Boolean).join(' ')).join(' / '),
      a.url,
      'account-row',
    )), t('empty'));
  }

  document.addEventListener('field:changed', () => { render(); });
  api.loadWorkingSet(true).then(render);
  render();
}
// field.js (deferred, in the head) runs before DOMContentLoaded; this file sits at the end
// of the body and would run before it.
if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', salesopsWorkbench);
} else {
  salesopsWorkbench();
}
