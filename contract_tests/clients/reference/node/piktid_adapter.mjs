#!/usr/bin/env node
// piktid-mock's reference adapter in Node (>= 18): the contract kit's JSON-lines protocol over a
// small Image Playground client using only built-in modules (fetch, readline, fs, crypto).
//
//   pytest --pyargs contract_tests.clients --piktid-client="exec:node path/to/piktid_adapter.mjs"
//
// Reads PIKTID_API_URL and PIKTID_TOKEN; answers one JSON object per line on stdout, in order.
// wait() listens to the notifications stream (filtered on the job), deletes each event it has
// processed, and returns once every variation of the latest generation is final according to
// GET /jobs/{id}/results (GET /jobs/{id}/status is no readiness signal).

import { createHmac, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { createInterface } from "node:readline";

const API = (process.env.PIKTID_API_URL || "").replace(/\/+$/, "");
const AUTH = { Authorization: `Bearer ${process.env.PIKTID_TOKEN || ""}` };
const FINAL = new Set(["completed", "failed"]);

class ApiError extends Error {
  constructor(status, body) {
    super(`${status}: ${(body && body.error) || JSON.stringify(body)}`);
    this.status = status;
  }
}

async function parsed(response) {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

async function api(method, path, body) {
  const init = { method, headers: { ...AUTH } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, init);
  const answer = await parsed(response);
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

async function upload({ path }) {
  const ticket = await api("POST", "/upload", { filename: basename(path) });
  const put = await fetch(ticket.upload_url, {
    method: "PUT",
    body: await readFile(path),
    headers: { "Content-Type": ticket.content_type },
  });
  if (!put.ok) throw new ApiError(put.status, await parsed(put));
  return ticket.file_id;
}

async function generate({ request }) {
  const body = { ...request };
  return (await api("POST", "/edit-chat", body)).job_id;
}

function latestGeneration(body) {
  const results = (body && body.results) || [];
  const last = Math.max(...results.map((r) => r.image_index));
  return results.filter((r) => r.image_index === last);
}

const key = (item) => `${item.image_index}/${item.group_index}`;

async function ready(jobId, seen) {
  const latest = latestGeneration(await api("GET", `/jobs/${encodeURIComponent(jobId)}/results`));
  const done = latest.length > 0 && latest.every((r) => FINAL.has(r.status) && seen.has(key(r)));
  return done ? latest : null;
}

async function* sseEvents(stream) {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = { event: "message", data: [] };
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
      if (line === "") {
        if (event.data.length) yield { event: event.event, data: event.data.join("\n") };
        event = { event: "message", data: [] };
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event.event = value;
        if (field === "data") event.data.push(value);
      }
    }
  }
}

async function consume(notification) {
  const response = await fetch(`${API}/notifications/${encodeURIComponent(notification.id)}`, {
    method: "DELETE",
    headers: AUTH,
  });
  if (!response.ok && response.status !== 404) throw new ApiError(response.status, await parsed(response));
  return key(notification.data || {});
}

async function watch(jobId, deadline, seen) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(100, deadline - Date.now()));
  try {
    const query = `id_task=${encodeURIComponent(jobId)}&name_list=image_result`;
    const response = await fetch(`${API}/notifications/events?${query}`, {
      headers: { ...AUTH, Accept: "text/event-stream" },
      signal: controller.signal,
    });
    if (!response.ok) throw new ApiError(response.status, await parsed(response));
    for await (const frame of sseEvents(response.body)) {
      const notification = frame.event === "backfill_complete" ? null : JSON.parse(frame.data);
      if (notification && notification.id !== undefined) seen.add(await consume(notification));
      const done = await ready(jobId, seen);
      if (done) return done;
    }
    return null;
  } catch (error) {
    if (controller.signal.aborted) return null;
    throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

async function wait({ job_id: jobId, timeout = 60 }) {
  const deadline = Date.now() + timeout * 1000;
  const seen = new Set();
  while (Date.now() < deadline) {
    const done = await watch(jobId, deadline, seen);
    if (done) return done;
  }
  throw new Error(`job ${jobId} not final after ${timeout} s`);
}

function verifyWebhook({ secret, body, header }) {
  const expected = Buffer.from("sha256=" + createHmac("sha256", secret).update(body, "utf8").digest("hex"));
  const given = Buffer.from(header || "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const METHODS = { upload, generate, wait, verify_webhook: verifyWebhook };

function reply(answer) {
  process.stdout.write(JSON.stringify(answer) + "\n");
}

async function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    process.stderr.write(`piktid_adapter: not a JSON request: ${line}\n`);
    return;
  }
  const { id, method, params } = request;
  const run = METHODS[method];
  if (!run) return reply({ id, error: { status_code: null, message: "not implemented" } });
  try {
    reply({ id, result: await run(params || {}) });
  } catch (error) {
    const status = error instanceof ApiError ? error.status : null;
    reply({ id, error: { status_code: status, message: String((error && error.message) || error) } });
  }
}

let queue = Promise.resolve();
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (line.trim()) queue = queue.then(() => handle(line));
});
lines.on("close", () => queue.then(() => process.exit(0)));
