// jiceng's own script. Loaded with `defer` after bootstrap and htmx (see templates/base.html).
// The CSP is script-src 'self': no inline scripts, no inline handlers, no eval. Everything a page needs
// is declared with data-* attributes and wired here.
//
//   data-confirm="…"   on a <form>, a submit button, a link or any htmx trigger: ask before going on.
//   <div class="jc-chart" data-chart="ID">  with  {{ option|json_script:"ID" }}:  an ECharts chart.
//        Optional: data-chart-label="…" (accessible name, else the chart's title text).
//        ECharts itself is loaded on first use from <body data-echarts-src="…">, so pages without
//        charts never download it.
(function () {
  "use strict";

  // ---- Confirmations ------------------------------------------------------------------------

  function ask(message) {
    return window.confirm(message);
  }

  // Capture phase on document: runs before htmx's own listeners on the element, so a refusal stops
  // htmx-driven forms too.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      var submitter = event.submitter;
      var source = submitter && submitter.hasAttribute("data-confirm") ? submitter : form;
      var message = source.getAttribute("data-confirm");
      if (message && !ask(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  document.addEventListener(
    "click",
    function (event) {
      var el = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
      if (!el || el.tagName === "FORM") return;
      // Submit buttons are asked about in the submit listener above (which sees event.submitter).
      var isSubmit =
        (el.tagName === "BUTTON" && (el.getAttribute("type") || "submit").toLowerCase() === "submit") ||
        (el.tagName === "INPUT" && /^(submit|image)$/i.test(el.type));
      if (isSubmit && el.form) return;
      if (!ask(el.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  // ---- Charts -------------------------------------------------------------------------------

  var echartsPromise = null;

  function loadEcharts() {
    if (window.echarts) return Promise.resolve(window.echarts);
    if (echartsPromise) return echartsPromise;
    var src = document.body && document.body.getAttribute("data-echarts-src");
    if (!src) return Promise.reject(new Error("no data-echarts-src on <body>"));
    echartsPromise = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = function () {
        if (window.echarts) resolve(window.echarts);
        else reject(new Error("echarts did not load"));
      };
      script.onerror = function () {
        echartsPromise = null;
        reject(new Error("could not load " + src));
      };
      document.head.appendChild(script);
    });
    return echartsPromise;
  }

  function chartLocale() {
    var lang = (document.documentElement.getAttribute("lang") || "").toLowerCase();
    return lang.indexOf("zh") === 0 ? "ZH" : "EN";
  }

  function readOption(el) {
    var id = el.getAttribute("data-chart");
    var source = id && document.getElementById(id);
    if (!source) throw new Error("no <script type=application/json id=" + id + ">");
    return JSON.parse(source.textContent);
  }

  function prepare(option) {
    // HTML tooltips are built with inline style="" attributes, which the CSP blocks; draw them on the
    // canvas instead.
    var tips = Array.isArray(option.tooltip) ? option.tooltip : option.tooltip ? [option.tooltip] : [];
    tips.forEach(function (tip) {
      if (tip && typeof tip === "object" && !tip.renderMode) tip.renderMode = "richText";
    });
    // Let ECharts describe the chart to screen readers unless the page says otherwise.
    if (option.aria === undefined) option.aria = { enabled: true };
    return option;
  }

  function chartLabel(el, option) {
    var label = el.getAttribute("data-chart-label");
    if (label) return label;
    var title = Array.isArray(option.title) ? option.title[0] : option.title;
    return title && title.text ? String(title.text) : "";
  }

  function showChartError(el) {
    el.classList.add("jc-chart-error");
    el.textContent = el.getAttribute("data-chart-error") || (chartLocale() === "ZH" ? "图表无法显示" : "The chart cannot be shown");
  }

  var charts = new Set();

  function initChart(echarts, el) {
    if (el.getAttribute("data-chart-ready") === "1") return;
    var option;
    try {
      option = prepare(readOption(el));
    } catch (err) {
      console.error("jiceng chart:", err);
      showChartError(el);
      return;
    }
    var chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "canvas", locale: chartLocale() });
    chart.setOption(option, true);
    el.setAttribute("data-chart-ready", "1");
    if (!el.hasAttribute("role")) el.setAttribute("role", "img");
    var label = chartLabel(el, option);
    if (label && !el.hasAttribute("aria-label")) el.setAttribute("aria-label", label);
    charts.add(chart);
    if (resizeObserver) resizeObserver.observe(el);
  }

  function initCharts(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var els = [];
    if (scope.matches && scope.matches(".jc-chart[data-chart]")) els.push(scope);
    scope.querySelectorAll(".jc-chart[data-chart]").forEach(function (el) {
      els.push(el);
    });
    els = els.filter(function (el) {
      return el.getAttribute("data-chart-ready") !== "1";
    });
    if (!els.length) return;
    loadEcharts().then(
      function (echarts) {
        els.forEach(function (el) {
          initChart(echarts, el);
        });
      },
      function (err) {
        console.error("jiceng chart:", err);
        els.forEach(showChartError);
      }
    );
  }

  function disposeChart(el) {
    var chart = window.echarts && window.echarts.getInstanceByDom(el);
    if (chart) {
      charts.delete(chart);
      if (resizeObserver) resizeObserver.unobserve(el);
      chart.dispose();
    }
    el.removeAttribute("data-chart-ready");
  }

  function disposeCharts(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches(".jc-chart[data-chart]")) disposeChart(root);
    root.querySelectorAll(".jc-chart[data-chart]").forEach(disposeChart);
  }

  var resizePending = false;
  function resizeAll() {
    if (resizePending) return;
    resizePending = true;
    window.requestAnimationFrame(function () {
      resizePending = false;
      charts.forEach(function (chart) {
        if (!chart.isDisposed()) chart.resize();
      });
    });
  }

  // Window resizes, plus containers that change size on their own (collapsed panels, tabs).
  var resizeObserver = typeof ResizeObserver === "function" ? new ResizeObserver(resizeAll) : null;
  window.addEventListener("resize", resizeAll);
  window.addEventListener("orientationchange", resizeAll);

  // ---- htmx ---------------------------------------------------------------------------------

  if (window.htmx) {
    // Runs for the initial page and for every piece of content htmx swaps in.
    window.htmx.onLoad(initCharts);
    // htmx fires this on every element it removes, descendants included.
    document.addEventListener("htmx:beforeCleanupElement", function (event) {
      var el = event.target;
      if (el instanceof Element && el.matches(".jc-chart[data-chart]")) disposeChart(el);
    });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      initCharts(document);
    });
  } else {
    initCharts(document);
  }

  // Expose for pages that build content by other means (and for tests).
  window.jiceng = { initCharts: initCharts, disposeCharts: disposeCharts };
})();
