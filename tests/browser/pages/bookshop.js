// The host page's own script: it records every event the widget fires, as an
// analytics-minded host would (on the device; nothing is sent).
window.kithEvents = [];
for (const type of ['kith-ready', 'kith-shown', 'kith-pick', 'kith-rate', 'kith-accepted', 'kith-rejected', 'kith-error', 'kith-understanding']) {
  document.addEventListener(type, (e) => window.kithEvents.push({ type, detail: e.detail }));
}
// The host routes picks itself (as a single-page shop would): no navigation.
document.addEventListener('kith-pick', (e) => e.preventDefault());
