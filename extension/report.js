// Placeholder: a later issue builds the notice and evidence bundle here.
"use strict";

globalThis.feedlensShared.translatePage();
const list = document.getElementById("item");
for (const [key, value] of new URLSearchParams(location.search)) {
  if (!value) continue;
  const dt = document.createElement("dt");
  const dd = document.createElement("dd");
  dt.textContent = key;
  dd.textContent = value;
  list.append(dt, dd);
}
