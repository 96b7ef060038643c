/**
 * The dashboard's only script, served from the dashboard's own path (CSP script-src 'self'; no
 * inline script, no library, no build step). Live refresh: every page says its interval; the script
 * fetches the same URL with `X-Resque-Fragment: 1` and swaps the main content (escaped by the server,
 * like the full page), keeping checked boxes, and skips a refresh while a filter field has focus or
 * the tab is hidden. Also: confirm before dangerous forms, select-all for failed jobs.
 */
export const DASHBOARD_SCRIPT = String.raw`(function () {
  'use strict';
  var main = document.getElementById('main');
  var status = document.getElementById('live-status');
  var toggle = document.getElementById('live-toggle');
  if (!main) return;
  // The notice of the action that led here is shown once: refreshes and reloads fetch the page without it.
  if (/[?&]notice=/.test(location.search) && history.replaceState) {
    var url = new URL(location.href);
    url.searchParams.delete('notice');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  var every = Number(main.getAttribute('data-live')) || 0;
  var paused = false;
  try { paused = sessionStorage.getItem('resque-live-paused') === '1'; } catch (e) {}
  var timer = null;

  function label(text) { if (status) status.textContent = text; }
  function describe() {
    if (!every) { label('Not live'); return; }
    label((paused ? 'Paused (every ' : 'Live: every ') + every / 1000 + ' s' + (paused ? ')' : ''));
  }
  function schedule() {
    clearTimeout(timer);
    if (every > 0) timer = setTimeout(refresh, every);
  }
  function typing() {
    var el = document.activeElement;
    return el && main.contains(el) && (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || (el.tagName === 'INPUT' && el.type !== 'checkbox'));
  }
  function refresh() {
    if (paused || document.hidden || typing()) { schedule(); return; }
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var abort = setTimeout(function () { if (controller) controller.abort(); }, 15000);
    fetch(location.href, { headers: { 'X-Resque-Fragment': '1' }, credentials: 'same-origin', cache: 'no-store', signal: controller ? controller.signal : undefined })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        var next = Number(res.headers.get('X-Resque-Live'));
        return res.text().then(function (text) {
          var checked = {};
          main.querySelectorAll('input[type=checkbox]:checked').forEach(function (box) { checked[box.value] = true; });
          main.innerHTML = text;
          main.querySelectorAll('input[type=checkbox]').forEach(function (box) { if (checked[box.value]) box.checked = true; });
          bind(main);
          every = Number.isFinite(next) ? next : every;
          main.setAttribute('data-live', String(every));
          describe();
          if (status && every) status.textContent += ' · updated ' + new Date().toLocaleTimeString();
          document.dispatchEvent(new CustomEvent('resque:refreshed'));
        });
      })
      .catch(function (error) { label('Refresh failed (' + error.message + '), retrying every ' + every / 1000 + ' s'); })
      .then(function () { clearTimeout(abort); schedule(); });
  }
  function bind(root) {
    root.querySelectorAll('form[data-confirm]').forEach(function (form) {
      if (form.__resqueBound) return;
      form.__resqueBound = true;
      form.addEventListener('submit', function (event) {
        if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
      });
    });
    var all = root.querySelector('input[data-select-all]');
    if (all && !all.__resqueBound) {
      all.__resqueBound = true;
      all.addEventListener('change', function () {
        root.querySelectorAll('input[name=sel]').forEach(function (box) { box.checked = all.checked; });
      });
    }
  }
  if (toggle && every) {
    toggle.hidden = false;
    toggle.textContent = paused ? 'Resume' : 'Pause';
    toggle.addEventListener('click', function () {
      paused = !paused;
      try { sessionStorage.setItem('resque-live-paused', paused ? '1' : '0'); } catch (e) {}
      toggle.textContent = paused ? 'Resume' : 'Pause';
      describe();
      if (!paused) refresh();
    });
  }
  bind(document);
  describe();
  schedule();
})();
`;
