// Opens sealed evidence in this browser with the responder's private key (WebCrypto).
// The key is read from the page's field or file, the field cleared, and the key kept in
// memory only while opening;
// this script makes no request: the server never sees the key nor the opened values.
// Format (gateway/audit/evidence.py): "v1." + base64url(ephemeral X25519 public key (32)
// || nonce (12) || AES-256-GCM ciphertext and tag); the AES key is HKDF-SHA256 of the
// X25519 shared secret, salt = ephemeral || recipient public key, info below; the
// record id is the associated data.
"use strict";
(() => {
  const INFO = new TextEncoder().encode("haetae audit evidence v1");

  function bytesOfBase64(text) {
    const plain = text.replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, "");
    const padded = plain + "=".repeat((4 - (plain.length % 4)) % 4);
    const binary = atob(padded);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) out[i] = binary.charCodeAt(i);
    return out;
  }

  function pkcs8OfPem(pem) {
    const found = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(pem);
    if (!found) throw new Error("not a PEM private key (-----BEGIN PRIVATE KEY-----)");
    return bytesOfBase64(found[1]);
  }

  async function privateKey(pem) {
    const key = await crypto.subtle.importKey(
      "pkcs8", pkcs8OfPem(pem), { name: "X25519" }, true, ["deriveBits"]);
    const jwk = await crypto.subtle.exportKey("jwk", key);  // its public half: jwk.x
    return { key, recipient: bytesOfBase64(jwk.x) };
  }

  async function open(sealed, recordId, mine) {
    if (!sealed.startsWith("v1.")) throw new Error("unknown format");
    const raw = bytesOfBase64(sealed.slice(3));
    if (raw.length < 32 + 12 + 16) throw new Error("too short");
    const ephemeral = raw.slice(0, 32);
    const nonce = raw.slice(32, 44);
    const body = raw.slice(44);
    const theirs = await crypto.subtle.importKey("raw", ephemeral, { name: "X25519" }, true, []);
    const shared = await crypto.subtle.deriveBits({ name: "X25519", public: theirs }, mine.key, 256);
    const hkdf = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveBits"]);
    const salt = new Uint8Array(64);
    salt.set(ephemeral, 0);
    salt.set(mine.recipient, 32);
    const aesBits = await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt, info: INFO }, hkdf, 256);
    const aes = await crypto.subtle.importKey("raw", aesBits, "AES-GCM", false, ["decrypt"]);
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: nonce, additionalData: new TextEncoder().encode(recordId) }, aes, body);
    return JSON.parse(new TextDecoder().decode(plain));
  }

  function show(cell, items) {
    // textContent only: an opened value is shown as text, never read as markup
    const list = document.createElement("ul");
    list.className = "opened-values";
    for (const item of items) {
      const line = document.createElement("li");
      const what = document.createElement("code");
      what.textContent = `${item.entity_type} @ ${item.location}`;
      const value = document.createElement("mark");
      value.textContent = item.value;
      line.append(what, ": ", value);
      list.append(line);
    }
    cell.replaceChildren(list);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("evidence-open");
    const field = document.getElementById("evidence-key");
    const file = document.getElementById("evidence-key-file");
    const status = document.getElementById("evidence-status");
    if (!button || !field || !status) return;
    file?.addEventListener("change", async () => {
      if (file.files && file.files[0]) field.value = await file.files[0].text();
    });
    document.getElementById("evidence-forget")?.addEventListener("click", () => {
      field.value = "";
      if (file) file.value = "";
      for (const cell of document.querySelectorAll("tr.sealed td.opened ul.opened-values")) {
        cell.replaceWith(document.createTextNode("—"));
      }
      status.textContent = "";
    });
    button.addEventListener("click", async () => {
      if (!window.crypto || !crypto.subtle) {
        status.textContent = button.dataset.unsupported;
        return;
      }
      let mine;
      try {
        mine = await privateKey(field.value || "");
        field.value = "";  // read once: the key is not left on the page
        if (file) file.value = "";
      } catch (error) {
        status.textContent = `${button.dataset.failed}: ${error.message || error.name}`;
        return;
      }
      let opened = 0;
      let failed = 0;
      for (const row of document.querySelectorAll("tr.sealed")) {
        const cell = row.querySelector("td.opened");
        try {
          show(cell, await open(row.dataset.sealed, row.dataset.recordId, mine));
          opened += 1;
        } catch (error) {
          failed += 1;
          cell.prepend(`${button.dataset.failed} (${error.name === "OperationError" ? "key" : error.message}) `);
        }
      }
      status.textContent = `${button.dataset.done}: ${opened} / ${failed}`;
    });
  });
})();
