// Adds a "Copy link" button beside each section link (it copies the public original's address where
// the link opens a local copy); the page works without it.
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  for (const link of document.querySelectorAll("a.section-link")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy link";
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(new URL(link.dataset.public || link.getAttribute("href"), location.href).href);
        button.textContent = "Copied";
      } catch (err) {
        button.textContent = "Select the link to copy it";
      }
      setTimeout(() => { button.textContent = "Copy link"; }, 2000);
    });
    link.parentElement.append(" ", button);
  }
});
