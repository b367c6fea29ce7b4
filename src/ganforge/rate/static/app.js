// The rating page: three tasks over a small JSON API (POST api/next, POST api/answer; relative
// to the page, so the app works under any root path).
// Every POST carries the page's CSRF token; a retried answer reuses its trial id, so the
// server stores it at most once.
"use strict";
(() => {
  const body = document.body;
  const csrf = body.dataset.csrf;
  const tasks = body.dataset.tasks.split(",").filter(Boolean);
  const $ = (id) => document.getElementById(id);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  let active = null;   // the task on screen
  let current = null;  // the trial waiting for an answer: {task, trial, images, onset, ...}

  const status = (text) => { $("status").textContent = text; };
  const setDisabled = (ids, value) => ids.forEach((id) => { $(id).disabled = value; });
  const RATE_IDS = [1, 2, 3, 4, 5].map((k) => `rate-${k}`);

  async function post(path, payload) {
    for (let attempt = 0; ; attempt += 1) {
      let response;
      try {
        response = await fetch(path, {
          method: "POST",
          credentials: "same-origin",
          headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
          body: JSON.stringify(payload),
        });
      } catch (err) {
        if (attempt < 3) { await sleep(500 * (attempt + 1)); continue; }
        throw new Error("network error: is the server still running?");
      }
      const data = await response.json().catch(() => ({}));
      if (response.status === 429 && attempt < 5) {
        status("Slow down a little...");
        await sleep(1000 * Number(response.headers.get("Retry-After") || 1));
        continue;
      }
      if (response.status === 409) return {recorded: false, ...data};
      if (!response.ok) throw new Error(data.error || response.statusText);
      return data;
    }
  }

  async function show(img, url) {
    img.src = url;
    await img.decode();
  }

  async function answer(extra) {
    const trial = current;
    current = null;
    const payload = {
      trial: trial.trial,
      images: trial.images.map((im) => im.id),
      response_ms: Math.round(performance.now() - trial.onset),
      ...extra,
    };
    const data = await post("api/answer", payload);
    if (data.count !== undefined) $("count").textContent = `(${data.count} judged)`;
    return data;
  }

  // Compare two
  async function startPair() {
    setDisabled(["pair-left", "pair-right"], true);
    const trial = await post("api/next", {task: "pair"});
    const imgs = [$("pair-left"), $("pair-right")].map((b) => b.querySelector("img"));
    await Promise.all(trial.images.map((im, k) => show(imgs[k], im.url)));
    await frame();
    if (active !== "pair") return;  // the rater switched tasks while this trial loaded
    current = {...trial, onset: performance.now()};
    setDisabled(["pair-left", "pair-right"], false);
    status("Which looks more realistic?");
  }

  async function choosePair(side) {
    if (!current || current.task !== "pair") return;
    setDisabled(["pair-left", "pair-right"], true);
    await answer({choice: current.images[side].id});
    status("Recorded.");
    if (active === "pair") await startPair();
  }

  // Rate one
  async function startRating() {
    setDisabled(RATE_IDS, true);
    const trial = await post("api/next", {task: "rating"});
    await show($("rating-image"), trial.images[0].url);
    await frame();
    if (active !== "rating") return;
    current = {...trial, onset: performance.now()};
    setDisabled(RATE_IDS, false);
    status("How realistic is it?");
  }

  async function rate(value) {
    if (!current || current.task !== "rating") return;
    setDisabled(RATE_IDS, true);
    await answer({rating: value});
    status("Recorded.");
    if (active === "rating") await startRating();
  }

  // Real or fake, fast: fixation, image for the exposure time, then a noise mask
  function drawMask() {
    const canvas = $("rapid-mask");
    const ctx = canvas.getContext("2d");
    const cell = 8;
    for (let y = 0; y < canvas.height; y += cell) {
      for (let x = 0; x < canvas.width; x += cell) {
        const v = Math.floor(Math.random() * 256);
        ctx.fillStyle = `rgb(${v},${v},${v})`;
        ctx.fillRect(x, y, cell, cell);
      }
    }
  }

  async function startRapid() {
    const start = $("rapid-start");
    start.disabled = true;
    $("rapid-feedback").textContent = "";
    const img = $("rapid-image");
    const mask = $("rapid-mask");
    const trial = await post("api/next", {task: "rapid"});
    await show(img, trial.images[0].url);
    mask.hidden = true;
    $("fixation").hidden = false;
    status("Look at the cross...");
    await sleep(500);
    $("fixation").hidden = true;
    img.hidden = false;
    await frame();
    const shownAt = performance.now();
    while (performance.now() - shownAt < trial.exposure_ms - 8) await frame();
    img.hidden = true;
    drawMask();
    mask.hidden = false;
    await frame();
    if (active !== "rapid") return;
    current = {...trial, onset: shownAt, shownMs: performance.now() - shownAt};
    setDisabled(["rapid-real", "rapid-fake"], false);
    status("Real or fake?");
  }

  async function judgeRapid(choice) {
    if (!current || current.task !== "rapid") return;
    setDisabled(["rapid-real", "rapid-fake"], true);
    const data = await answer({choice, shown_ms: Math.round(current.shownMs)});
    if (data.feedback) {
      const truth = data.feedback.truth === "real" ? "real" : "generated";
      $("rapid-feedback").textContent =
        `${data.feedback.correct ? "Correct" : "Wrong"}: it was ${truth}.`;
    }
    status("Recorded. Press Next when ready.");
    $("rapid-start").textContent = "Next";
    $("rapid-start").disabled = false;
  }

  const guard = (fn) => async (...args) => {
    try {
      await fn(...args);
    } catch (err) {
      status(`Error: ${err.message}`);
    }
  };

  const starters = {pair: startPair, rating: startRating, rapid: async () => {
    $("rapid-start").disabled = false;
    status("Press Start when ready.");
  }};

  async function open(task) {
    active = task;
    current = null;
    document.querySelectorAll(".task").forEach((s) => { s.hidden = s.id !== `task-${task}`; });
    document.querySelectorAll("#tabs button").forEach((b) => {
      b.classList.toggle("active", b.dataset.task === task);
    });
    await starters[task]();
  }

  document.querySelectorAll("#tabs button").forEach((b) => {
    if (!tasks.includes(b.dataset.task)) b.hidden = true;
    b.addEventListener("click", guard(() => open(b.dataset.task)));
  });
  $("exposure-label").textContent = body.dataset.exposure;
  $("pair-left").addEventListener("click", guard(() => choosePair(0)));
  $("pair-right").addEventListener("click", guard(() => choosePair(1)));
  RATE_IDS.forEach((id, k) => $(id).addEventListener("click", guard(() => rate(k + 1))));
  $("rapid-start").addEventListener("click", guard(startRapid));
  $("rapid-real").addEventListener("click", guard(() => judgeRapid("real")));
  $("rapid-fake").addEventListener("click", guard(() => judgeRapid("fake")));
  document.addEventListener("keydown", guard(async (event) => {
    const key = event.key.toLowerCase();
    if (active === "pair" && key === "arrowleft") await choosePair(0);
    else if (active === "pair" && key === "arrowright") await choosePair(1);
    else if (active === "rating" && "12345".includes(key) && key.length === 1) await rate(Number(key));
    else if (active === "rapid" && key === "r") await judgeRapid("real");
    else if (active === "rapid" && key === "f") await judgeRapid("fake");
  }));
  if (tasks.length) guard(open)(tasks[0]);
})();
