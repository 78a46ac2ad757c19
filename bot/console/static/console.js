// The console's only script: the rebuild page follows its build's progress.
"use strict";

(function () {
  const box = document.getElementById("build");
  if (!box) return;
  const progress = document.getElementById("build-progress");
  const message = document.getElementById("build-message");
  const error = document.getElementById("build-error");
  const button = document.getElementById("rebuild-button");
  const serving = document.getElementById("serving");

  function show(status) {
    box.dataset.state = status.state;
    if (status.message) message.textContent = status.message;
    progress.max = status.total || 1;
    progress.value = status.state === "done" ? progress.max : status.done;
    if (status.error) {
      error.textContent = status.error;
      error.hidden = false;
    } else {
      error.hidden = true;
    }
    if (button) button.disabled = status.state === "running";
    if (serving && status.serving) serving.textContent = status.serving.build;
  }

  async function poll() {
    try {
      const response = await fetch(box.dataset.statusUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.status === 401) {
        window.location.href = "/admin/login?next=/admin/rebuild";
        return;
      }
      if (response.ok) {
        const status = await response.json();
        show(status);
        if (status.state !== "running") return;
      }
    } catch (e) {
      // The server may be busy; try again shortly.
    }
    window.setTimeout(poll, 1000);
  }

  if (box.dataset.state === "running") poll();
})();
