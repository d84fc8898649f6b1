// Counts a click on a search result by its rank (the usage log is on): a beacon that never delays
// the link and carries nothing but the rank.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[data-rank]");
  const url = document.body.dataset.clickUrl;
  if (!link || !url || !navigator.sendBeacon) return;
  navigator.sendBeacon(url + "?rank=" + encodeURIComponent(link.dataset.rank));
});
