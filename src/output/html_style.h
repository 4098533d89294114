// The HTML report's stylesheet, inlined into every report. System fonts only and no url()
// or @import: the report must open offline without fetching anything. Colours are CSS
// variables: light by default, dark on screens that prefer it, always light in print.
#pragma once

#include <string_view>

namespace nightjar::output::html {

inline constexpr std::string_view kReportCss = R"css(:root {
  --bg: #f4f5f7; --panel: #ffffff; --text: #1b2129; --muted: #5d6876; --border: #dfe3e8;
  --grid: #eceef1; --axis: #7b8591; --code-bg: #f0f2f5; --track: #f0f2f5;
  --c-latency: #1f5fd6; --c-service: #e0620d; --c-lag: #8a94a0;
  --c-completed: #0f7b6c; --c-errors: #d4312b; --c-p50: #1f5fd6; --c-p99: #8b3fd9;
  --b-2xx: #2f9e44; --b-3xx: #1c7ed6; --b-4xx: #e8890c; --b-5xx: #e03131; --b-other: #868e96;
  --b-error: #a61e4d; --b-dropped: #868e96;
  --warn-bg: #fff6e0; --warn-border: #f0a500; --warn-text: #5c3c00;
  --bad: #c92a2a;
}
@media screen and (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1116; --panel: #161b22; --text: #e6edf3; --muted: #9aa6b2; --border: #2d333b;
    --grid: #232a33; --axis: #6e7781; --code-bg: #202731; --track: #202731;
    --c-latency: #5b9bff; --c-service: #ff9248; --c-lag: #8b949e;
    --c-completed: #2ec4a9; --c-errors: #ff6b6b; --c-p50: #5b9bff; --c-p99: #c38bff;
    --b-2xx: #40c057; --b-3xx: #4dabf7; --b-4xx: #ffa94d; --b-5xx: #ff6b6b; --b-other: #adb5bd;
    --b-error: #f06595; --b-dropped: #adb5bd;
    --warn-bg: #2e2410; --warn-border: #d4a017; --warn-text: #f5deb0;
    --bad: #ff6b6b;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans", Arial, sans-serif;
}
code, .url { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace; font-size: 12.5px; }
.page { max-width: 1200px; margin: 0 auto; padding: 28px 24px 40px; }
.muted { color: var(--muted); }
.report-header { margin-bottom: 18px; }
.eyebrow { color: var(--muted); font-size: 12px; letter-spacing: .08em; text-transform: uppercase; font-weight: 600; }
h1 { font-size: 28px; line-height: 1.2; margin: 4px 0 8px; font-weight: 700; overflow-wrap: anywhere; }
h2 { font-size: 16px; margin: 0 0 4px; font-weight: 650; }
.labels { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 8px; }
.chip { border: 1px solid var(--border); background: var(--panel); border-radius: 999px; padding: 1px 10px; font-size: 12px; }
.chip-key { color: var(--muted); }
.chip-key::after { content: "="; }
.targets { list-style: none; margin: 0 0 12px; padding: 0; }
.targets li { display: flex; align-items: baseline; gap: 8px; overflow-wrap: anywhere; }
.method { font-size: 11px; font-weight: 700; letter-spacing: .04em; padding: 1px 6px; border-radius: 4px;
  background: var(--text); color: var(--panel); }
.facts { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 0; }
.facts div { min-width: 0; }
.facts dt { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .06em; font-weight: 600; }
.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
.warnings { margin: 0 0 16px; display: grid; gap: 8px; }
.warning { display: flex; gap: 12px; align-items: flex-start; background: var(--warn-bg); color: var(--warn-text);
  border: 1px solid var(--warn-border); border-left-width: 5px; border-radius: 8px; padding: 10px 14px; }
.warning-icon { flex: none; width: 22px; height: 22px; border-radius: 50%; background: var(--warn-border);
  color: #fff; font-weight: 800; display: inline-flex; align-items: center; justify-content: center; font-size: 14px; }
.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin-bottom: 16px; }
@media (min-width: 1100px) { .summary { grid-template-columns: 1.3fr repeat(5, minmax(0, 1fr)); } }
.card { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 12px 14px;
  border-top: 3px solid var(--c-latency); }
.card.warn { border-top-color: var(--warn-border); }
.card.bad { border-top-color: var(--bad); }
.card.bad .card-value { color: var(--bad); }
.card-label { color: var(--muted); font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .05em; }
.card-value { font-size: 26px; font-weight: 700; line-height: 1.25; font-variant-numeric: tabular-nums; white-space: nowrap; }
.card-value .unit { font-size: 15px; font-weight: 600; color: var(--muted); margin-left: 4px; }
.card-detail { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 16px 18px;
  margin-bottom: 16px; min-width: 0; }
.note { color: var(--muted); margin: 0 0 10px; font-size: 13px; }
.grid2 { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
.grid2 > .panel { margin-bottom: 0; }
.grid2 { margin-bottom: 16px; }
.grid2.inner { margin-bottom: 0; gap: 0 24px; }
@media (max-width: 900px) { .grid2 { grid-template-columns: minmax(0, 1fr); } }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
svg.chart text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans", Arial, sans-serif;
  font-size: 12px; fill: var(--muted); }
svg.chart .grid line { stroke: var(--grid); stroke-width: 1; }
svg.chart .axis line { stroke: var(--axis); stroke-width: 1; }
svg.chart .axis-title { fill: var(--text); font-weight: 600; }
svg.chart .legend text { fill: var(--text); }
svg.chart .empty { fill: var(--muted); font-style: italic; }
svg.chart .series { fill: none; stroke-width: 2.25; stroke-linejoin: round; stroke-linecap: round; }
svg.chart .swatch { stroke-width: 3; stroke-linecap: round; }
svg.chart .dashed { stroke-dasharray: 7 4; }
svg.chart path.series.dashed { stroke-width: 1.75; }
svg.chart .reference { stroke: var(--axis); stroke-width: 1.25; stroke-dasharray: 4 4; }
svg.chart .reference-label { fill: var(--muted); font-size: 11px; }
svg.chart .marker { stroke: var(--panel); stroke-width: 1.5; }
svg.chart .marker:hover { stroke: var(--text); stroke-width: 2; }
svg.chart .s-latency { stroke: var(--c-latency); } svg.chart .marker.s-latency { fill: var(--c-latency); }
svg.chart .s-service { stroke: var(--c-service); } svg.chart .marker.s-service { fill: var(--c-service); }
svg.chart .s-completed { stroke: var(--c-completed); } svg.chart .marker.s-completed { fill: var(--c-completed); }
svg.chart .s-errors { stroke: var(--c-errors); } svg.chart .marker.s-errors { fill: var(--c-errors); }
svg.chart .s-requested { stroke: var(--muted); }
svg.chart .s-p50 { stroke: var(--c-p50); } svg.chart .marker.s-p50 { fill: var(--c-p50); }
svg.chart .s-p99 { stroke: var(--c-p99); } svg.chart .marker.s-p99 { fill: var(--c-p99); }
svg.chart .bar-caption { fill: var(--text); font-weight: 600; }
svg.chart .bar-label { fill: var(--text); }
svg.chart .bar-value { fill: var(--text); font-variant-numeric: tabular-nums; }
svg.chart .bar-value .muted { fill: var(--muted); }
svg.chart .bar-track { fill: var(--track); }
svg.chart .bar { stroke: none; }
svg.chart .b-2xx { fill: var(--b-2xx); } svg.chart .b-3xx { fill: var(--b-3xx); }
svg.chart .b-4xx { fill: var(--b-4xx); } svg.chart .b-5xx { fill: var(--b-5xx); }
svg.chart .b-other { fill: var(--b-other); } svg.chart .b-error { fill: var(--b-error); }
svg.chart .b-dropped { fill: var(--b-dropped); }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 8px; vertical-align: baseline; }
.dot.s-latency { background: var(--c-latency); } .dot.s-service { background: var(--c-service); }
.dot.s-lag { background: var(--c-lag); }
.table-scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--border); text-align: left; vertical-align: top; }
tbody tr:last-child th, tbody tr:last-child td { border-bottom: none; }
table.numbers { margin-top: 12px; }
table.numbers td, table.numbers thead th { text-align: right; white-space: nowrap; }
table.numbers thead th:first-child { text-align: left; }
table.numbers thead th { color: var(--muted); font-size: 12px; font-weight: 600; }
table.numbers tbody th { font-weight: 600; white-space: nowrap; }
table.kv th { color: var(--muted); font-weight: 600; width: 38%; white-space: nowrap; }
table.kv td { overflow-wrap: anywhere; }
td.share { min-width: 110px; }
.share-bar { display: inline-block; width: 56px; height: 8px; border-radius: 4px; background: var(--track);
  margin-right: 8px; vertical-align: middle; overflow: hidden; }
.share-bar span { display: block; height: 100%; background: var(--c-completed); }
footer { color: var(--muted); font-size: 12px; margin-top: 8px; }
@media print {
  body { background: #fff; font-size: 12px; }
  .page { max-width: none; padding: 0; }
  .panel, .card, .warning { break-inside: avoid; box-shadow: none; }
  .grid2 { grid-template-columns: minmax(0, 1fr); }
  .grid2 > .panel { margin-bottom: 12px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";

// What the comparison of runs (compare_html.cc) adds to kReportCss: one colour per run (r0 to
// r9, chosen to stay apart from each other in both themes), and the marks of a change.
inline constexpr std::string_view kCompareCss = R"css(:root {
  --r0: #1f5fd6; --r1: #e0620d; --r2: #0f7b6c; --r3: #8b3fd9; --r4: #c92a2a;
  --r5: #7a5c00; --r6: #c2255c; --r7: #495057; --r8: #2f9e44; --r9: #0b7285;
  --good: #2b8a3e;
}
@media screen and (prefers-color-scheme: dark) {
  :root {
    --r0: #5b9bff; --r1: #ff9248; --r2: #2ec4a9; --r3: #c38bff; --r4: #ff6b6b;
    --r5: #e0b84a; --r6: #f783ac; --r7: #ced4da; --r8: #69db7c; --r9: #66d9e8;
    --good: #69db7c;
  }
}
svg.chart .r0 { stroke: var(--r0); } svg.chart .marker.r0 { fill: var(--r0); } .dot.r0 { background: var(--r0); }
svg.chart .r1 { stroke: var(--r1); } svg.chart .marker.r1 { fill: var(--r1); } .dot.r1 { background: var(--r1); }
svg.chart .r2 { stroke: var(--r2); } svg.chart .marker.r2 { fill: var(--r2); } .dot.r2 { background: var(--r2); }
svg.chart .r3 { stroke: var(--r3); } svg.chart .marker.r3 { fill: var(--r3); } .dot.r3 { background: var(--r3); }
svg.chart .r4 { stroke: var(--r4); } svg.chart .marker.r4 { fill: var(--r4); } .dot.r4 { background: var(--r4); }
svg.chart .r5 { stroke: var(--r5); } svg.chart .marker.r5 { fill: var(--r5); } .dot.r5 { background: var(--r5); }
svg.chart .r6 { stroke: var(--r6); } svg.chart .marker.r6 { fill: var(--r6); } .dot.r6 { background: var(--r6); }
svg.chart .r7 { stroke: var(--r7); } svg.chart .marker.r7 { fill: var(--r7); } .dot.r7 { background: var(--r7); }
svg.chart .r8 { stroke: var(--r8); } svg.chart .marker.r8 { fill: var(--r8); } .dot.r8 { background: var(--r8); }
svg.chart .r9 { stroke: var(--r9); } svg.chart .marker.r9 { fill: var(--r9); } .dot.r9 { background: var(--r9); }
.compare svg.chart { max-width: 760px; margin: 0 auto; }
.compare .intro { color: var(--muted); margin: 0; }
td .delta { display: block; font-size: 12px; color: var(--muted); }
td .delta.worse { color: var(--bad); font-weight: 650; }
td .delta.better { color: var(--good); font-weight: 650; }
td .delta.moved { color: var(--text); font-weight: 650; }
table.runs td, table.runs th { white-space: nowrap; }
.gates { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; }
.gates li { overflow-wrap: anywhere; }
.gate-pass, .gate-fail { display: inline-block; min-width: 44px; text-align: center; font-weight: 700; font-size: 12px;
  border-radius: 4px; padding: 0 6px; margin-right: 8px; color: #fff; }
.gate-pass { background: var(--good); } .gate-fail { background: var(--bad); }
)css";

}  // namespace nightjar::output::html
