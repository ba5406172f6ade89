// Evaluates a PAC file the way a browser does: the script in a fresh context with the PAC
// helper functions (Netscape's set, as Chromium and Firefox provide them), then
// FindProxyForURL(url, host) for each host. Usage: node pac_eval.js FILE.pac < hosts.json
"use strict";
const fs = require("fs");
const vm = require("vm");

function shExpMatch(str, pattern) {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp("^" + re + "$").test(str);
}
const helpers = {
  dnsDomainIs: (host, domain) => host.length >= domain.length && host.endsWith(domain),
  shExpMatch,
  isPlainHostName: (host) => host.indexOf(".") === -1,
  localHostOrDomainIs: (host, hostdom) => host === hostdom || hostdom.startsWith(host + "."),
  isResolvable: () => false,  // no DNS here: a PAC that needs it answers wrongly, and the test sees it
  dnsResolve: () => null,
  myIpAddress: () => "192.0.2.10",
  dnsDomainLevels: (host) => host.split(".").length - 1,
};

const context = vm.createContext({ ...helpers });
vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), context, { filename: "proxy.pac" });
const hosts = JSON.parse(fs.readFileSync(0, "utf8"));
const answers = {};
for (const host of hosts) {
  answers[host] = context.FindProxyForURL(`https://${host}/`, host);
}
process.stdout.write(JSON.stringify(answers));
