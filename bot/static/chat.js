// Web chat for cds-bot: vanilla JS, no build step. All answer text is set with
// textContent, never innerHTML, because knowledge text must not be able to inject markup.
(() => {
  "use strict";

  const MESSAGES = {
    network: "Không kết nối được tới máy chủ. Bạn kiểm tra kết nối mạng rồi bấm “Gửi” để thử lại nhé.",
    server: "Xin lỗi, hệ thống đang gặp sự cố. Bạn vui lòng thử lại sau ít phút.",
    busy: "Bạn gửi hơi nhanh. Bạn vui lòng đợi một chút rồi thử lại nhé.",
    invalid: "Xin lỗi, câu hỏi chưa gửi được. Bạn vui lòng kiểm tra lại nội dung rồi gửi lại.",
    thanks: "Cảm ơn bạn đã góp ý!",
    feedbackFailed: "Chưa gửi được góp ý. Bạn vui lòng bấm lại sau ít phút.",
    handover: "Đã chuyển yêu cầu gặp cán bộ hỗ trợ tới Tổ công nghệ số cộng đồng " +
      "(mã yêu cầu #{id}). Để được giúp trực tiếp, bạn có thể liên hệ Tổ công nghệ số " +
      "cộng đồng ở thôn, bản hoặc Ủy ban nhân dân cấp xã nơi mình ở.",
    notSent: "Chưa gửi được",
  };
  // While a request for a person is open, the page asks for the team's replies this often.
  const POLL_MS = 4000;

  const list = document.getElementById("messages");
  const form = document.getElementById("ask-form");
  const input = document.getElementById("question");
  const sendButton = document.getElementById("send");
  const handoverButton = document.getElementById("handover");
  const userId = loadUserId();
  let busy = false;
  let lastConversation = null; // conversation_id of the last answer
  let handedOver = null; // { conversation, id } of the last hand-over: a second press adds no row
  let polling = null; // the timer asking for the team's replies, while a request is open

  /** A random id kept per browser. Only this browser knows it, so it is what shows the server
   * that a conversation is this visitor's when they rate it or ask for a person. */
  function loadUserId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const fresh = "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    try {
      const saved = localStorage.getItem("user_id");
      if (saved) return saved;
      localStorage.setItem("user_id", fresh);
    } catch (_) {
      // Storage can be blocked (private mode); an id for this page still works.
    }
    return fresh;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function addMessage(kind, children, question = null) {
    const row = el("div", "msg " + kind);
    const bubble = el("div", "bubble");
    bubble.append(...children);
    row.append(bubble);
    list.append(row);
    // An answer is read from its question down (the browser stops at the bottom anyway);
    // anything else just keeps the newest message in view.
    list.scrollTop = question ? question.offsetTop - 12 : list.scrollHeight;
    return row;
  }

  class ChatError extends Error {}

  async function post(path, body) {
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ...body, user_id: userId }),
      });
    } catch (_) {
      throw new ChatError(MESSAGES.network);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      // Handled below: a proxy's HTML error page is not JSON.
    }
    if (response.ok && data && !data.error) return data;
    if (response.status === 429 || response.status === 503) {
      // Too fast, or too many people at once: the server's own polite words, if it sent them.
      const said = data && data.error && typeof data.error.message === "string";
      throw new ChatError(said ? data.error.message : MESSAGES.busy);
    }
    if (response.status >= 400 && response.status < 500) throw new ChatError(MESSAGES.invalid);
    throw new ChatError(MESSAGES.server);
  }

  function setBusy(value) {
    busy = value;
    input.disabled = value;
    sendButton.disabled = value;
    sendButton.setAttribute("aria-busy", String(value));
  }

  function showError(message) {
    addMessage("bot error", [el("p", "text", message)]);
  }

  function chipList(questions) {
    const box = el("div", "chips");
    for (const question of questions) {
      const chip = el("button", "chip", question);
      chip.type = "button";
      chip.dataset.ask = "";
      box.append(chip);
    }
    return box;
  }

  function sourceList(data) {
    // Related questions already appear as buttons below; listing them twice is noise.
    const seen = new Set(data.suggestions || []);
    const items = [];
    for (const source of data.sources || []) {
      if (!source.title || seen.has(source.title)) continue;
      seen.add(source.title);
      const label = source.section ? `${source.title} › ${source.section}` : source.title;
      const item = el("li");
      if (source.url) {
        const link = el("a", null, label);
        link.href = source.url;
        link.target = "_blank";
        link.rel = "noopener";
        item.append(link);
      } else {
        item.textContent = label;
      }
      items.push(item);
    }
    if (!items.length) return null;
    const box = el("section", "sources");
    box.append(el("h2", null, data.answered ? "Tài liệu tham khảo" : "Tài liệu có thể liên quan"));
    const ul = el("ul");
    ul.append(...items);
    box.append(ul);
    return box;
  }

  function feedbackBar(conversationId) {
    const bar = el("div", "feedback");
    const label = el("span", null, "Câu trả lời có giúp ích không?");
    const up = el("button", "vote", "👍 Hữu ích");
    const down = el("button", "vote", "👎 Chưa hữu ích");
    up.type = down.type = "button";
    up.setAttribute("aria-label", "Câu trả lời hữu ích");
    down.setAttribute("aria-label", "Chưa hữu ích");
    const vote = async (button, helpful) => {
      up.disabled = down.disabled = true;
      button.setAttribute("aria-pressed", "true");
      try {
        await post("/api/feedback", { conversation_id: conversationId, helpful });
        label.textContent = MESSAGES.thanks;
        label.className = "thanks";
      } catch (error) {
        button.removeAttribute("aria-pressed");
        up.disabled = down.disabled = false;
        label.textContent = MESSAGES.feedbackFailed;
      }
    };
    up.addEventListener("click", () => vote(up, true));
    down.addEventListener("click", () => vote(down, false));
    bar.append(label, up, down);
    return bar;
  }

  function showAnswer(data, question) {
    const parts = [el("p", "text", data.answer)];
    const sources = sourceList(data);
    if (sources) parts.push(sources);
    if (data.suggestions && data.suggestions.length) {
      parts.push(el("p", "hint", "Bạn có thể hỏi thêm:"), chipList(data.suggestions));
    }
    // Greetings and other small talk (answered, but from no source) need no rating.
    if (data.conversation_id != null && (data.kind !== "none" || !data.answered)) {
      parts.push(feedbackBar(data.conversation_id));
    }
    addMessage("bot", parts, question);
  }

  async function ask(question, typed = false) {
    question = question.trim();
    if (busy) return;
    if (!question) {
      input.focus();
      return;
    }
    const asked = addMessage("user", [el("p", "text", question)]);
    input.value = "";
    resize();
    setBusy(true);
    const dots = el("span", "dots");
    dots.setAttribute("aria-hidden", "true");
    dots.append(el("span"), el("span"), el("span"));
    const typing = addMessage("bot typing", [dots, el("span", null, "Đang tìm câu trả lời…")]);
    try {
      const data = await post("/api/ask", { question });
      lastConversation = data.conversation_id ?? null;
      if (data.handover_id != null) startPolling();
      typing.remove();
      showAnswer(data, asked);
    } catch (error) {
      typing.remove();
      asked.querySelector(".bubble").append(el("span", "failed", MESSAGES.notSent));
      // Give the question back so the citizen can resend it without retyping.
      if (!input.value) input.value = question;
      showError(error instanceof ChatError ? error.message : MESSAGES.server);
      typed = true;
    } finally {
      setBusy(false);
      resize();
      // Focusing opens a phone's keyboard over the answer: only when the person was typing.
      if (typed) input.focus();
    }
  }

  async function handover() {
    handoverButton.disabled = true;
    try {
      if (!handedOver || handedOver.conversation !== lastConversation) {
        // The server hands over the question of this visitor's own conversation.
        const body = lastConversation != null ? { conversation_id: lastConversation } : {};
        const data = await post("/api/handover", body);
        handedOver = { conversation: lastConversation, id: data.handover_id };
      }
      startPolling();
      const text = MESSAGES.handover.replace("{id}", handedOver.id);
      addMessage("bot notice", [el("p", "text", text)]);
    } catch (error) {
      showError(error instanceof ChatError ? error.message : MESSAGES.server);
    } finally {
      handoverButton.disabled = false;
    }
  }

  function remember(key, value) {
    try {
      if (value == null) localStorage.removeItem(key);
      else localStorage.setItem(key, String(value));
    } catch (_) {
      // Blocked storage: the page still polls while it stays open.
    }
  }

  function recall(key) {
    try {
      return localStorage.getItem(key);
    } catch (_) {
      return null;
    }
  }

  /** Ask the server for the team's replies to this visitor's request, past the last one
   * shown. The id goes in a header, so no access log records it. */
  async function fetchReplies() {
    if (document.hidden) return;
    const after = Number(recall("replies_seen") || 0);
    let data;
    try {
      const response = await fetch(`/api/replies?after=${after}`, {
        headers: { "X-User-Id": userId },
      });
      if (!response.ok) return;
      data = await response.json();
    } catch (_) {
      return; // offline for a moment: the next poll tries again
    }
    for (const reply of data.replies || []) {
      // The text opens with who answers ("Tổ công nghệ số cộng đồng trả lời…").
      addMessage("bot team", [el("p", "text", reply.text)]);
      remember("replies_seen", reply.id);
    }
    if (!data.waiting && !(data.replies || []).length) stopPolling();
  }

  function startPolling() {
    remember("waiting_team", "1");
    if (polling == null) polling = setInterval(fetchReplies, POLL_MS);
  }

  function stopPolling() {
    remember("waiting_team", null);
    if (polling != null) clearInterval(polling);
    polling = null;
  }

  function resize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 160) + "px";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(input.value, true);
  });
  input.addEventListener("keydown", (event) => {
    // Vietnamese input methods compose with Enter too: only a finished Enter sends.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask(input.value, true);
    }
  });
  input.addEventListener("input", resize);
  list.addEventListener("click", (event) => {
    const chip = event.target.closest("[data-ask]");
    if (chip) ask(chip.textContent);
  });
  handoverButton.addEventListener("click", handover);
  if (recall("waiting_team")) {
    // A request made earlier in this browser: its replies may have come while it was closed.
    startPolling();
    fetchReplies();
  }
})();
