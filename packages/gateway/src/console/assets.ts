/**
 * The console's only static files, served by the gateway from memory. The pages work without them
 * (forms, links, a refresh while a replay runs); the script adds copy buttons and select-all.
 */

export const consoleCss = `:root{--fg:#1a1a1a;--muted:#4a4a4a;--bg:#fff;--line:#c8c8c8;--accent:#a4161a;--accent-fg:#fff;--ok:#1e6b34;--warn:#8a4b00;--soft:#f5f2f0;font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:var(--fg);background:var(--bg)}
body{margin:0;line-height:1.5}
a{color:#0b4f9c}
a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #0b4f9c;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--bg);padding:4px 8px;z-index:2}
header{display:flex;flex-wrap:wrap;gap:12px;align-items:center;justify-content:space-between;padding:8px 16px;background:var(--accent);color:var(--accent-fg)}
header a,header .who{color:var(--accent-fg)}
header .brand{font-weight:700;font-size:1.1rem;text-decoration:none}
header form{display:inline;margin:0}
header button{background:transparent;color:var(--accent-fg);border:1px solid var(--accent-fg);border-radius:4px;padding:2px 10px;cursor:pointer;font:inherit}
nav ul{display:flex;flex-wrap:wrap;gap:4px 16px;list-style:none;margin:0;padding:8px 16px;border-bottom:1px solid var(--line);background:var(--soft)}
nav a[aria-current=page]{font-weight:700}
main{padding:8px 16px 32px;max-width:1200px}
h1{font-size:1.5rem}
h2{font-size:1.2rem;margin-top:1.5rem}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--soft)}
td.num,th.num{text-align:right}
.groups{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:8px 24px}
.filters{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:flex-end;margin:8px 0}
.filters label,.field label{display:block;font-size:.9rem;color:var(--muted)}
.field{margin:8px 0}
input,select,textarea{font:inherit;padding:4px 6px;border:1px solid #767676;border-radius:4px}
textarea{width:100%;max-width:40rem;min-height:5rem}
button,.button{font:inherit;padding:4px 14px;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:var(--bg);color:var(--accent)}
button:disabled{background:#767676;border-color:#767676;cursor:not-allowed}
.actions{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}
.notice{border-left:4px solid var(--ok);background:#eef6f0;padding:8px 12px;margin:8px 0}
.problem{border-left:4px solid var(--accent);background:#fbeeee;padding:8px 12px;margin:8px 0}
.readonly{border-left:4px solid var(--warn);background:#fdf3e6;padding:8px 12px;margin:8px 0}
.badge{display:inline-block;padding:0 6px;border-radius:4px;border:1px solid currentColor;font-size:.85rem}
.urgent{color:var(--accent);font-weight:700}
.secret{font-family:ui-monospace,monospace;background:var(--soft);padding:4px 8px;word-break:break-all}
.chart{max-width:720px;width:100%;height:auto}
.chart rect{fill:var(--accent)}
.chart text{font-size:10px;fill:var(--muted)}
progress{width:100%;max-width:480px;height:1.2rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
.login{max-width:32rem}
.login input{width:100%}
`;

export const consoleJs = `(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = button.getAttribute("data-copied") || button.textContent;
    });
  });
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-select-all")) return;
    var form = box.form;
    if (!form) return;
    form.querySelectorAll('input[type=checkbox][name="' + box.getAttribute("data-select-all") + '"]').forEach(function (item) {
      item.checked = box.checked;
    });
  });
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (navigator.clipboard) button.hidden = false;
  });
})();
`;
