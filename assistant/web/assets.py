"""CSS and the one bit of JavaScript of the web UI (passed to ``Blocks.launch``)."""

from __future__ import annotations

# Clicking a citation marker opens its source card (and any enclosing <details>), scrolls it into view and
# highlights it. Capture phase, so the chatbot's own link handling never turns it into a navigation.
CITE_JS = """
() => {
  if (window.__rtmsCites) return;
  window.__rtmsCites = true;
  document.addEventListener('click', (ev) => {
    const a = ev.target && ev.target.closest ? ev.target.closest('a.cite') : null;
    if (!a) return;
    const id = (a.getAttribute('href') || '').replace(/^#/, '');
    const el = id ? document.getElementById(id) : null;
    if (!el) return;
    ev.preventDefault();
    ev.stopPropagation();
    for (let p = el; p; p = p.parentElement) { if (p.tagName === 'DETAILS') p.open = true; }
    document.querySelectorAll('.src-card.active').forEach((e) => e.classList.remove('active'));
    el.classList.add('active');
    (el.querySelector('mark') || el).scrollIntoView({behavior: 'smooth', block: 'center'});
  }, true);
}
"""

CSS = """
.rtms-status { font-size: 0.9em; color: var(--body-text-color-subdued); }
.rtms-status .warn { color: var(--error-text-color, #b45309); }
.rtms-answer .answer-meta { margin-top: .4em; font-size: .78em; color: var(--body-text-color-subdued); }
.rtms-answer .cite-list { margin-top: .5em; font-size: .85em; }
.rtms-answer .answer-flag { margin-top: .4em; font-size: .85em; color: #b45309; }
.rtms-answer .hint { display: block; margin-top: .3em; font-size: .9em; color: var(--body-text-color-subdued); }
.rtms-answer .thinking { color: var(--body-text-color-subdued); font-style: italic; }
.rtms-answer .cursor { animation: rtms-blink 1s steps(2) infinite; }
@keyframes rtms-blink { to { visibility: hidden; } }
a.cite { text-decoration: none; font-weight: 600; color: var(--link-text-color, #2563eb); cursor: pointer; }
a.cite:hover { text-decoration: underline; }
a.cite.chip { font-weight: 500; border: 1px solid var(--border-color-primary); border-radius: 999px;
  padding: 0 .5em; margin-right: .2em; white-space: nowrap; display: inline-block; margin-bottom: .2em; }
.unsupported { text-decoration: underline wavy #d97706; text-underline-offset: 3px; }
.badge { display: inline-block; font-size: .72em; font-weight: 600; padding: .05em .5em; border-radius: 999px;
  border: 1px solid currentColor; vertical-align: middle; }
.badge.refused { color: #6b7280; } .badge.error { color: #dc2626; }
.badge.kind-full-text { color: #047857; } .badge.kind-abstract { color: #7c3aed; }
table.studies { border-collapse: collapse; font-size: .85em; width: 100%; }
table.studies th, table.studies td { border-bottom: 1px solid var(--border-color-primary); padding: .25em .4em;
  text-align: left; vertical-align: top; }
table.studies tr.human td:first-child { border-left: 3px solid #9d174d; }
.src-ref { margin-left: .15em; font-size: .8em; }
ol.study-sources { font-size: .8em; } ol.study-sources .chunk { color: var(--body-text-color-subdued); }
.badge.study { color: #374151; } .badge.study.human { color: #9d174d; }
.badge.kind-evidence-note { color: #0369a1; } .badge.kind-pdf { color: #b45309; }
.rtms-answer.error { color: var(--error-text-color, #b91c1c); }
.rtms-sources { max-height: 640px; overflow-y: auto; font-size: .9em; }
.rtms-sources.empty { color: var(--body-text-color-subdued); font-style: italic; }
.rtms-sources .turn { margin-bottom: 1em; }
.rtms-sources .turn-head { font-weight: 600; margin: .3em 0; }
.rtms-sources .note { color: var(--body-text-color-subdued); margin: .2em 0 .4em; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .4em .6em;
  margin: .35em 0; transition: box-shadow .3s; }
.src-card.uncited { opacity: .9; border-style: dashed; }
.src-card.active { box-shadow: 0 0 0 3px var(--color-accent-soft, #bfdbfe); }
.src-card summary { cursor: pointer; }
.src-card .n { font-weight: 700; }
.src-card .title { font-size: .92em; margin-top: .15em; }
.src-card .where { font-size: .8em; font-style: italic; color: var(--body-text-color-subdued); }
.src-card .meta, .src-card .score { font-size: .8em; color: var(--body-text-color-subdued); margin-top: .3em; }
.src-card .links a { margin-right: .8em; font-size: .85em; }
.src-card blockquote.passage { margin: .4em 0; padding: .3em .6em; border-left: 3px solid var(--border-color-accent,
  #93c5fd); white-space: normal; }
.rtms-answer .evidence-block { border-left: 3px solid #0ea5e9; background: rgba(14, 165, 233, .06);
  padding: .3em .6em; margin: .2em 0 .5em; border-radius: 4px; font-size: .92em; }
.rtms-answer .evidence-label, .rtms-answer .synthesis-label { font-size: .78em; font-weight: 600;
  text-transform: uppercase; letter-spacing: .03em; color: var(--body-text-color-subdued); margin-bottom: .2em; }
.rtms-answer .ev-paper { margin: .25em 0; }
.rtms-answer .ev-head { font-weight: 600; font-size: .9em; }
.rtms-answer .ev-sent { margin: .1em 0 .1em .6em; }
.rtms-answer .ev-id { color: var(--body-text-color-subdued); font-variant-numeric: tabular-nums; }
.rtms-answer .verdict-row { margin-bottom: .35em; font-weight: 600; }
.rtms-answer .verdict-basis { font-weight: 400; font-size: .85em; margin-top: .2em; }
.rtms-answer .verdict-basis summary { cursor: pointer; color: #4b5563; }
.badge.verdict { font-size: .85em; padding: .1em .6em; }
.badge.verdict-yes { color: #047857; } .badge.verdict-no { color: #b91c1c; }
.badge.verdict-mixed { color: #b45309; } .badge.verdict-insufficient { color: #6b7280; }
mark.hl-cited { background: #fde68a; color: #111827; border-radius: 2px; padding: 0 .1em; }
mark.hl-evidence { background: #e0f2fe; color: #111827; border-radius: 2px; padding: 0 .1em; }
.flag { font-size: .75em; margin-left: .3em; } .flag.ok { color: #047857; } .flag.bad { color: #dc2626; }
.flag.unk { color: var(--body-text-color-subdued); }
.rtms-sources details.more > summary { cursor: pointer; color: var(--body-text-color-subdued); margin: .3em 0; }
"""
