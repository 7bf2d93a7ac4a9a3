/*
 * sitegen.js: progressive enhancement for sitegen pages.
 *
 * Every page is complete without it (all steps listed, all images shown). With it:
 *  - the index and class pages' paged lists, filtered and sorted, are gallery.js's; the index
 *    draws its evaluation panel's figures when the site was built with ground truth;
 *  - an image page shows one step at a time: step links, previous/next, arrow keys and
 *    #step-N deep links that survive a reload;
 *  - Plotly figures are drawn lazily, when their step or <details> is first shown, sized to the
 *    page, their titles as captions. Figure data comes from figures.js (deflated,
 *    window.SITEGEN_FIGURES_DEFLATED) or a JSON <script> element: no fetch/XHR, so the site works from file://. Pre-rendered PNGs
 *    sit in closed <details> with loading="lazy": the browser fetches one only when it is opened.
 * A plain script (no modules) so it also runs from file://.
 */
(function () {
  "use strict";

  /*
   * Every figure prints: the camera button saves a PNG at three times its size on screen, and
   * an SVG button beside it saves vectors (both named after the figure's slot on the page).
   */
  var PRINT_SCALE = 3;
  var SVG_BUTTON = {
    name: "Download plot as SVG",
    icon: { width: 1000, height: 1000, path: "M200 100h450l150 150v650h-600zM300 450h400v60h-400zM300 600h400v60h-400zM300 750h250v60h-250z" },
    click: function (gd) {
      window.Plotly.downloadImage(gd, { format: "svg", filename: gd.getAttribute("data-figure") || "figure" });
    }
  };

  function plotConfig(div) {
    var name = (div.getAttribute("data-figure") || div.id || "figure").replace(/[^A-Za-z0-9_-]+/g, "_");
    return {
      responsive: true,
      displaylogo: false,
      toImageButtonOptions: { format: "png", scale: PRINT_SCALE, filename: name },
      modeBarButtonsToAdd: [SVG_BUTTON]
    };
  }
  /* The part of a figure's top margin that its title takes inside the plot. */
  var TITLE_ROOM = 40;

  function toArray(list) {
    return Array.prototype.slice.call(list);
  }

  /* Plotly's toolbar buttons carry their name in data-title only; give it to screen readers. */
  function labelToolbar(div) {
    toArray(div.querySelectorAll(".modebar-btn")).forEach(function (button) {
      button.setAttribute("aria-label", button.getAttribute("data-title") || "Plot tool");
      button.setAttribute("role", "button");
    });
  }

  /*
   * figures.js writes a value that several figures repeat once, in "shared", and {"$shared": i}
   * stands for it. A fresh copy with every reference filled in: Plotly writes into the figures
   * it draws, so no two figures may hold the same object.
   */
  function expand(value, shared) {
    if (Array.isArray(value)) {
      return value.map(function (item) {
        return expand(item, shared);
      });
    }
    if (value === null || typeof value !== "object") {
      return value;
    }
    if (typeof value.$shared === "number") {
      return expand(shared[value.$shared], shared);
    }
    var copy = {};
    Object.keys(value).forEach(function (key) {
      copy[key] = expand(value[key], shared);
    });
    return copy;
  }

  function titleText(layout) {
    var title = layout.title;
    return typeof title === "string" ? title : (title && title.text) || "";
  }

  /* A copy of layout with changes {"xaxis.domain": [0, 1], "sliders[0].pad.t": 80} applied. */
  function withChanges(layout, changes) {
    var copy = expand(layout, []);
    Object.keys(changes).forEach(function (path) {
      var keys = path.replace(/\[(\d+)\]/g, ".$1").split(".");
      var target = copy;
      keys.slice(0, -1).forEach(function (key) {
        target = target[key] = target[key] || {};
      });
      target[keys[keys.length - 1]] = changes[path];
    });
    return copy;
  }

  /* Keep a legend or menu outside the plot area as far from it in pixels when the area shrinks. */
  function keepOutside(item, scale) {
    if (!item || typeof item.y !== "number" || (item.y >= 0 && item.y <= 1)) {
      return item;
    }
    var y = item.y > 1 ? 1 + (item.y - 1) / scale : item.y / scale;
    return Object.assign({}, item, { y: y });
  }

  /*
   * The page shows a figure's title as a caption above the plot, where it wraps on a narrow
   * screen instead of being cut off. A figure may bring changes for narrow screens (meta.narrow:
   * {below: px, layout: {path: value}}, paths as Plotly.relayout takes them). Figures are laid
   * out for pictures meta.design_width px across; on a narrower screen the part of the height
   * that the pictures take (meta.picture_height) shrinks in proportion, since they keep their
   * aspect, and legends and menus outside the plot keep their distance to it.
   */
  function fitToPage(div, layout) {
    var width = div.clientWidth;
    var narrow = layout.meta && layout.meta.narrow;
    var fitted = narrow && width < narrow.below ? withChanges(layout, narrow.layout) : Object.assign({}, layout);
    var margin = Object.assign({ l: 80, r: 80, t: 100 }, fitted.margin);
    var title = titleText(fitted);
    if (title) {
      var caption = document.createElement("p");
      caption.className = "plot-title";
      caption.textContent = title;
      div.parentNode.insertBefore(caption, div);
      var top = Math.max(20, margin.t - TITLE_ROOM);
      fitted.title = { text: "" };
      fitted.height = fitted.height && fitted.height - (margin.t - top);
      fitted.margin = Object.assign({}, fitted.margin, { t: top });
    }
    var meta = fitted.meta;
    if (fitted.height && meta && meta.picture_height && meta.design_width) {
      var scale = Math.max(0.1, Math.min(1, (width - margin.l - margin.r) / meta.design_width));
      fitted.height = Math.round(fitted.height - meta.picture_height * (1 - scale));
      fitted.legend = keepOutside(fitted.legend, scale);
      fitted.updatemenus = (fitted.updatemenus || []).map(function (menu) {
        return keepOutside(menu, scale);
      });
    }
    return fitted;
  }

  function drawPlot(div, figure) {
    if (!window.Plotly || !figure || div.hasAttribute("data-drawn")) {
      return;
    }
    div.setAttribute("data-drawn", "");
    div.textContent = "";
    var layout = fitToPage(div, figure.layout || {});
    window.Plotly.newPlot(div, figure.data || [], layout, plotConfig(div)).then(labelToolbar);
  }

  /*
   * figures.js holds the figures' JSON deflated, in base64 (window.SITEGEN_FIGURES_DEFLATED: a
   * sixth of the plain JSON). The browser's DecompressionStream inflates it once, the first time
   * a figure is drawn; the bundle then stays in window.SITEGEN_FIGURES.
   */
  var bundleLoad = null;

  function inflate(text) {
    var binary = window.atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    var stream = new Blob([bytes]).stream().pipeThrough(new window.DecompressionStream("deflate-raw"));
    return new Response(stream).text().then(JSON.parse);
  }

  function figureBundle() {
    if (!bundleLoad) {
      var packed = window.SITEGEN_FIGURES_DEFLATED;
      if (typeof packed !== "string") {
        bundleLoad = Promise.resolve({ shared: [], figures: {} });
      } else if (!window.DecompressionStream) {
        bundleLoad = Promise.reject(new Error("no DecompressionStream"));
      } else {
        bundleLoad = inflate(packed);
      }
      bundleLoad = bundleLoad.then(function (bundle) {
        window.SITEGEN_FIGURES = bundle;
        return bundle;
      });
    }
    return bundleLoad;
  }

  function drawFigures(container) {
    var divs = toArray(container.querySelectorAll(".plot[data-figure]"));
    if (!divs.length) {
      return;
    }
    figureBundle().then(
      function (bundle) {
        divs.forEach(function (div) {
          var figure = bundle.figures[div.getAttribute("data-figure")];
          drawPlot(div, figure && expand(figure, bundle.shared));
        });
      },
      function (error) {
        divs.forEach(function (div) {
          div.textContent =
            "The interactive figure could not be unpacked (" + error.message + "): it needs Chrome 80, " +
            "Firefox 113, Safari 16.4 or newer.";
        });
      }
    );
  }

  /* --- Image pages: the step viewer --- */

  function stepFromHash() {
    var match = /^#step-(\d+)$/.exec(window.location.hash);
    return match ? Number(match[1]) : 0;
  }

  function setUpViewer(viewer) {
    var sections = toArray(viewer.querySelectorAll(".step"));
    var links = toArray(viewer.querySelectorAll(".step-nav a"));
    var previous = viewer.querySelector("[data-move='-1']");
    var next = viewer.querySelector("[data-move='1']");
    var current = 0;

    function show(number, updateUrl) {
      number = Math.max(1, Math.min(sections.length, number));
      sections.forEach(function (section, i) {
        section.hidden = i + 1 !== number;
      });
      links.forEach(function (link, i) {
        if (i + 1 === number) {
          link.setAttribute("aria-current", "step");
        } else {
          link.removeAttribute("aria-current");
        }
      });
      previous.disabled = number === 1;
      next.disabled = number === sections.length;
      current = number;
      drawFigures(sections[number - 1]);
      if (updateUrl) {
        window.history.replaceState(null, "", "#step-" + number);
      }
    }

    function move(delta) {
      var focusedLink = links.indexOf(document.activeElement) >= 0;
      show(current + delta, true);
      if (focusedLink) {
        links[current - 1].focus();
      }
    }

    viewer.addEventListener("click", function (event) {
      var link = event.target.closest(".step-nav a");
      var button = event.target.closest("[data-move]");
      if (link) {
        event.preventDefault();
        show(links.indexOf(link) + 1, true);
      } else if (button) {
        move(Number(button.getAttribute("data-move")));
      }
    });

    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.defaultPrevented) {
        return;
      }
      if (event.target.closest && event.target.closest("input, select, textarea, [contenteditable]")) {
        return;
      }
      if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        event.preventDefault();
        move(event.key === "ArrowLeft" ? -1 : 1);
      }
    });

    window.addEventListener("hashchange", function () {
      if (stepFromHash()) {
        show(stepFromHash(), false);
      }
    });

    viewer.querySelector(".step-controls").hidden = false;
    show(stepFromHash() || 1, false);
  }

  /* --- Per-class details: draw their figures when opened --- */

  function setUpDetails(details) {
    details.addEventListener("toggle", function () {
      if (details.open) {
        drawFigures(details);
      }
    });
  }

  /* --- Class pages: distributions built from the JSON in the page --- */

  function histogram(values, title, colour) {
    return {
      data: [{ type: "histogram", x: values, marker: { color: colour }, hovertemplate: "%{x}: %{y} regions<extra></extra>" }],
      layout: {
        height: 290,
        margin: { t: 16, r: 16, b: 52, l: 56 },
        bargap: 0.06,
        xaxis: { title: { text: title } },
        yaxis: { title: { text: "Regions" } }
      }
    };
  }

  function setUpDistributions(source) {
    var data = JSON.parse(source.textContent);
    drawPlot(document.getElementById("area-plot"), histogram(data.areas, "Region area (pixels)", data.colour));
    drawPlot(
      document.getElementById("confidence-plot"),
      histogram(data.confidences, "Region confidence (mean probability)", data.colour)
    );
  }

  /* --- Index: the evaluation panel's figures, from the JSON in the page --- */

  function setUpEvaluation(source) {
    var figures = JSON.parse(source.textContent);
    drawPlot(document.getElementById("evaluation-iou-plot"), figures.iou);
    drawPlot(document.getElementById("evaluation-confusion-plot"), figures.confusion);
  }

  function start() {
    var viewer = document.getElementById("viewer");
    var distributions = document.getElementById("class-distributions");
    var evaluation = document.getElementById("evaluation-figures");
    if (viewer) {
      setUpViewer(viewer);
    }
    toArray(document.querySelectorAll("details.class-detail")).forEach(setUpDetails);
    toArray(document.querySelectorAll("[data-draw-now]")).forEach(drawFigures);
    if (distributions) {
      setUpDistributions(distributions);
    }
    if (evaluation) {
      setUpEvaluation(evaluation);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
