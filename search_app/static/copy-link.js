// Adds a "Copy link" button beside each section's address: it copies the address shown (the public
// original's where the result opens a local copy); the page works without it, the address selectable. Its words come from the page's <body>
// (data-copy, data-copied, data-select), in the page's language.
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  const say = document.body.dataset;
  const copy = say.copy || "Copy link";
  for (const link of document.querySelectorAll(".section-link")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = copy;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(new URL(link.dataset.public, location.href).href);
        button.textContent = say.copied || "Copied";
      } catch (err) {
        button.textContent = say.select || "Select the link to copy it";
      }
      setTimeout(() => { button.textContent = copy; }, 2000);
    });
    link.parentElement.append(" ", button);
  }
});
