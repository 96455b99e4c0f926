/* The offline field app on every page (SPEC X6): registers the service worker, keeps the
   online/offline badge with the unsent count, puts the writes of forms marked
   data-offline="<kind>" into the IndexedDB outbox while offline, and sends the outbox in
   order to POST /api/v1/field/sync when back online. No inline script (CSP). */
(function () {
  'use strict';
  const DB_NAME = 'salesops-field';
  const SKIP_FIELDS = new Set(['csrfmiddlewaretoken', 'form_token', 'next']);
  const TARGETS = ['lead', 'account', 'contact', 'deal'];
  let dbPromise = null;
  let syncing = null;

  function badge() { return document.querySelector('[data-field-status]'); }
  function userId() { const b = badge(); return b ? b.getAttribute('data-user') : null; }
  function text(name) { const b = badge(); return (b && b.getAttribute('data-' + name)) || ''; }

  function db() {
    if (!dbPromise) {
      dbPromise = idb.openDB(DB_NAME, 1, {
        upgrade(database) {
          const outbox = database.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
          outbox.createIndex('uuid', 'uuid', { unique: true });
          outbox.createIndex('user', 'user');
          database.createObjectStore('working', { keyPath: 'user' });
        },
      });
    }
    return dbPromise;
  }

  async function items() {
    const all = await (await db()).getAllFromIndex('outbox', 'user', userId());
    return all.sort((a, b) => a.seq - b.seq);
  }

  async function pending() {
    return (await items()).filter((item) => item.state === 'pending');
  }

  function csrf() {
    try {
      return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRFToken'] || '';
    } catch (err) {
      return '';
    }
  }

  async function refreshBadge() {
    const b = badge();
    if (!b) return;
    const count = (await pending()).length;
    const online = navigator.onLine;
    b.classList.toggle('bg-green', online);
    b.classList.toggle('bg-secondary', !online);
    let label = online ? text('online') : text('offline');
    if (count) label += ' · ' + text('unsent').replace('{n}', String(count));
    b.textContent = label;
    b.setAttribute('data-count', String(count));
    document.dispatchEvent(new CustomEvent('field:changed'));
  }

  async function enqueue(kind, payload, label) {
    const item = {
      uuid: crypto.randomUUID(),
      user: userId(),
      kind: kind,
      payload: payload,
      label: label || '',
      created: new Date().toISOString(),
      state: 'pending',
      answer: null,
    };
    await (await db()).add('outbox', item);
    await refreshBadge();
    return item;
  }

  function formPayload(form) {
    const data = {};
    new FormData(form).forEach((value, key) => {
      if (SKIP_FIELDS.has(key) || typeof value !== 'string') return;
      if (key in data) {
        data[key] = [].concat(data[key], value);
      } else {
        data[key] = value;
      }
    });
    return data;
  }

  function initialValue(element) {
    if (element instanceof HTMLSelectElement) {
      const chosen = Array.from(element.options).find((option) => option.defaultSelected);
      return chosen ? chosen.value : (element.options[0] ? element.options[0].value : '');
    }
    if (element.type === 'checkbox' || element.type === 'radio') return element.defaultChecked ? element.value : '';
    return element.defaultValue;
  }

  function changedFields(form) {
    // An edit: each changed field with the value the page showed (what the device saw).
    const changes = {};
    Array.from(form.elements).forEach((element) => {
      if (!element.name || SKIP_FIELDS.has(element.name) || element.name === 'version') return;
      if (element.type === 'checkbox' || element.type === 'radio' || element.type === 'file') return;
      if (element.name.indexOf('.') !== -1 || element.name === 'channel') return;
      const base = initialValue(element);
      if (element.value !== base) changes[element.name] = { base: base, value: element.value };
    });
    return changes;
  }

  function notice(form, message, kind) {
    let box = form.querySelector('[data-field-notice]');
    if (!box) {
      box = document.createElement('div');
      box.setAttribute('data-field-notice', '');
      box.setAttribute('data-testid', 'offline-notice');
      box.setAttribute('role', 'status');
      form.prepend(box);
    }
    box.className = 'alert alert-' + (kind || 'info');
    box.textContent = message;
  }

  async function captureOffline(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-offline')) return;
    if (navigator.onLine) return;
    event.preventDefault();
    const kind = form.getAttribute('data-offline');
    const payload = kind === 'lead.update'
      ? { lead: form.getAttribute('data-offline-lead'), changes: changedFields(form) }
      : formPayload(form);
    const params = new URLSearchParams(window.location.search);
    if (kind === 'checkin.create') {
      TARGETS.forEach((name) => { if (params.get(name)) payload[name] = params.get(name); });
    }
    if (form.getAttribute('data-offline-activity')) {
      payload.activity = form.getAttribute('data-offline-activity');
    }
    const label = form.getAttribute('data-offline-label') || payload.company || payload.note || '';
    await enqueue(kind, payload, label);
    if (kind !== 'lead.update') form.reset();
    if (window.Alpine) {
      const state = window.Alpine.$data(form);
      if (state && 'busy' in state) state.busy = false;
    }
    notice(form, form.getAttribute('data-offline-saved') || text('saved'), 'info');
  }

  async function send(batch) {
    const response = await fetch(badge().getAttribute('data-sync-url'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf() },
      body: JSON.stringify({
        items: batch.map((item) => ({
          uuid: item.uuid, kind: item.kind, payload: item.payload, created: item.created,
        })),
      }),
    });
    if (!response.ok) throw new Error('sync ' + response.status);
    return (await response.json()).results;
  }

  async function sendOutbox() {
    if (!navigator.onLine || !badge()) return;
    const saved = await (await db()).get('working', userId());
    const size = (saved && saved.data.max_batch) || 50;
    let queue = await pending();
    while (queue.length) {
      const batch = queue.slice(0, size);
      const results = await send(batch);
      const tx = (await db()).transaction('outbox', 'readwrite');
      const sentAt = new Date().toISOString();
      await Promise.all(batch.map((item, i) => {
        item.state = 'sent';
        item.answer = results[i] || null;
        item.sentAt = sentAt;
        return tx.store.put(item);
      }));
      await tx.done;
      queue = queue.slice(size);
    }
  }

  function syncNow() {
    // One sync at a time: a second call (online event and a click) waits for the first.
    if (!syncing) {
      syncing = sendOutbox()
        .catch((err) => {
          // Offline again, or the session ended: the items stay in the outbox for next time.
          console.warn('SalesOps outbox not sent:', err);
        })
        .then(() => {
          syncing = null;
          return refreshBadge();
        });
    }
    return syncing;
  }

  async function resendSent() {
    // The same UUIDs again: the server answers "replayed" and writes nothing.
    const sent = (await items()).filter((item) => item.state === 'sent');
    const tx = (await db()).transaction('outbox', 'readwrite');
    await Promise.all(sent.map((item) => { item.state = 'pending'; return tx.store.put(item); }));
    await tx.done;
    await refreshBadge();
    return syncNow();
  }

  async function loadWorkingSet(force) {
    const b = badge();
    if (!b || !navigator.onLine) return;
    const database = await db();
    const saved = await database.get('working', userId());
    if (!force && saved && Date.now() - saved.fetchedAt < 5 * 60 * 1000) return;
    const headers = {};
    if (saved && saved.etag) headers['If-None-Match'] = saved.etag;
    try {
      const response = await fetch(b.getAttribute('data-working-set-url'), {
        credentials: 'same-origin', headers: headers,
      });
      if (response.status === 304 && saved) {
        saved.fetchedAt = Date.now();
        await database.put('working', saved);
      } else if (response.ok) {
        await database.put('working', {
          user: userId(), etag: response.headers.get('ETag'), data: await response.json(),
          fetchedAt: Date.now(),
        });
      }
      document.dispatchEvent(new CustomEvent('field:changed'));
    } catch (err) {
      console.warn('SalesOps working set not loaded:', err);
    }
  }

  async function forgetDevice() {
    // No signed-in user on this page (logged out): drop the cached pages and data.
    if ('serviceWorker' in navigator && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: 'forget-pages' });
    }
    if (window.idb && window.indexedDB) {
      const database = await db();
      await database.clear('working');
    }
  }

  function nameRecordOffline() {
    // A check-in page served from the worker's cache for another record: say which one.
    const holder = document.querySelector('[data-testid=checkin-record]');
    const lead = new URLSearchParams(window.location.search).get('lead');
    if (!holder || !lead || navigator.onLine) return;
    db().then((database) => database.get('working', userId())).then((saved) => {
      const row = saved && saved.data.leads.find((l) => String(l.id) === lead);
      if (row) holder.textContent = row.company + ' · ' + row.contact_name;
    });
  }

  window.SalesOpsField = {
    db: db, items: items, pending: pending, enqueue: enqueue, sync: syncNow,
    resend: resendSent, loadWorkingSet: loadWorkingSet, userId: userId, refresh: refreshBadge,
  };

  document.addEventListener('submit', (event) => { captureOffline(event); });
  document.addEventListener('click', (event) => {
    if (event.target.closest('[data-field-sync]')) {
      syncNow().then(() => loadWorkingSet(true));
    } else if (event.target.closest('[data-field-resend]')) {
      resendSent();
    }
  });
  window.addEventListener('online', () => { refreshBadge(); syncNow().then(() => loadWorkingSet(true)); });
  window.addEventListener('offline', refreshBadge);

  if (!badge()) {
    if (document.querySelector('[data-field-anonymous]')) forgetDevice();
    return;
  }
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(badge().getAttribute('data-sw'), { scope: '/' })
      .catch((err) => console.warn('SalesOps service worker not registered:', err));
  }
  refreshBadge();
  nameRecordOffline();
  syncNow().then(() => loadWorkingSet(false));
}());
