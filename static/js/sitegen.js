/*
 * sitegen.js: progressive enhancement for sitegen pages.
 *
 * Every page is complete without it (all steps listed, all images shown). With it:
 *  - the index filters its gallery by class and sorts it (data-* attributes on the cards);
 *  - an image page shows one step at a time: step links, previous/next, arrow keys and
 *    #step-N deep links that survive a reload;
 *  - Plotly figures are drawn lazily, when their step or <details> is first shown. Figure data
 *    comes from window.SITEGEN_FIGURES (figures.js) or a JSON <script> element: no fetch/XHR,
 *    so the site works from file://.
 * A plain script (no modules) so it also runs from file://.
 */
(function () {
  "use strict";

  var PLOT_CONFIG = { responsive: true, displaylogo: false };

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

  function drawPlot(div, figure) {
    if (!window.Plotly || !figure || div.hasAttribute("data-drawn")) {
      return;
    }
    div.setAttribute("data-drawn", "");
    div.textContent = "";
    window.Plotly.newPlot(div, figure.data || [], figure.layout || {}, PLOT_CONFIG).then(labelToolbar);
  }

  function drawFigures(container) {
    var figures = window.SITEGEN_FIGURES || {};
    toArray(container.querySelectorAll(".plot[data-figure]")).forEach(function (div) {
      drawPlot(div, figures[div.getAttribute("data-figure")]);
    });
  }

  /* --- Index: filter by class, sort by name or masks --- */

  function byName(a, b) {
    return a.getAttribute("data-name").localeCompare(b.getAttribute("data-name"), undefined, {
      numeric: true,
      sensitivity: "base"
    });
  }

  function byMasks(a, b) {
    return Number(b.getAttribute("data-masks")) - Number(a.getAttribute("data-masks")) || byName(a, b);
  }

  function setUpGallery(gallery) {
    var controls = document.getElementById("gallery-controls");
    var filter = document.getElementById("class-filter");
    var order = document.getElementById("sort-order");
    var status = document.getElementById("gallery-status");
    var cards = toArray(gallery.children);

    function update() {
      var wanted = filter.value;
      var shown = 0;
      cards.sort(order.value === "masks" ? byMasks : byName).forEach(function (card) {
        var classes = card.getAttribute("data-classes").split(" ");
        card.hidden = wanted !== "" && classes.indexOf(wanted) < 0;
        shown += card.hidden ? 0 : 1;
        gallery.appendChild(card);
      });
      status.textContent = "Showing " + shown + " of " + cards.length + " images";
    }

    filter.addEventListener("change", update);
    order.addEventListener("change", update);
    controls.hidden = false;
    update();
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

  function start() {
    var gallery = document.getElementById("gallery");
    var viewer = document.getElementById("viewer");
    var distributions = document.getElementById("class-distributions");
    if (gallery) {
      setUpGallery(gallery);
    }
    if (viewer) {
      setUpViewer(viewer);
    }
    toArray(document.querySelectorAll("details.class-detail")).forEach(setUpDetails);
    if (distributions) {
      setUpDistributions(distributions);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
