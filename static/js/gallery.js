/*
 * gallery.js: the index and class pages' lists, one page at a time, for sites of thousands of images.
 *
 * The data is window.SITEGEN_GALLERY (the site's gallery.js: classes, path patterns and a row per
 * image) and, on a class page, the JSON in #class-images (the class's numbers per image). The
 * HTML holds the first page only (the index loads gallery.js only when the reader goes past that
 * page, so its first render parses no data); this script renders any page of the filtered, sorted
 * list with DOM methods (names are text, never HTML), thumbnails loading="lazy". The state (class filter,
 * sort order, page) lives in the URL's #hash, so Back from an image returns to the same page.
 * A plain script (no modules, no fetch): the site works from file://.
 */
(function () {
  "use strict";

  function formatInteger(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  /* Four significant digits, as the pages' |number filter writes floats; null as a dash. */
  function formatNumber(value) {
    if (value === null || value === undefined) {
      return "\u2014";
    }
    if (Number.isInteger(value)) {
      return formatInteger(value);
    }
    return String(Number(value.toPrecision(4)));
  }

  /* A gain with its sign and three decimals, as the pages' |signed filter writes it. */
  function formatSigned(value) {
    if (value === null || value === undefined) {
      return "\u2014";
    }
    return (value < 0 ? "-" : "+") + Math.abs(value).toFixed(3);
  }

  function plural(n, word) {
    return formatInteger(n) + " " + word + (n === 1 ? "" : "s");
  }

  function fill(pattern, slug, index) {
    return pattern.replace("{slug}", slug).replace("{class}", String(index));
  }

  function element(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function readHash() {
    var state = {};
    window.location.hash
      .replace(/^#/, "")
      .split("&")
      .forEach(function (part) {
        var pair = part.split("=");
        if (pair.length === 2) {
          state[decodeURIComponent(pair[0])] = decodeURIComponent(pair[1]);
        }
      });
    return state;
  }

  function writeHash(state) {
    var parts = Object.keys(state)
      .filter(function (key) {
        return state[key] !== "" && state[key] !== undefined;
      })
      .map(function (key) {
        return encodeURIComponent(key) + "=" + encodeURIComponent(state[key]);
      });
    window.history.replaceState(null, "", parts.length ? "#" + parts.join("&") : window.location.pathname);
  }

  /*
   * One paged list: show(items, page) shows page `page` of `items` in `list` with renderItem, and
   * updates the pager nav (Previous, "Page 2 of 31", Next). onPage(page) reports moves.
   *
   * Until items are shown the list keeps the page as written in the HTML: describe(count) labels
   * the nav for it as page 1 of `count` items (the index's first page, before its data loads).
   * show(items, page, true) takes the items without redrawing the page the list already holds.
   * With `ready`, a move waits for ready(move): the index loads its data first.
   */
  function Pager(list, nav, perPage, renderItem, onPage, ready) {
    var items = null;
    var count = 0;
    var page = 1;
    var label = nav && nav.querySelector(".page-label");
    var previous = nav && nav.querySelector("[data-page='-1']");
    var next = nav && nav.querySelector("[data-page='1']");

    function pages() {
      return Math.max(1, Math.ceil(count / perPage));
    }

    function drawNav() {
      page = Math.max(1, Math.min(pages(), page));
      if (nav) {
        nav.hidden = pages() < 2;
        label.textContent = "Page " + page + " of " + pages();
        previous.disabled = page === 1;
        next.disabled = page === pages();
      }
    }

    function draw() {
      drawNav();
      var fragment = document.createDocumentFragment();
      items.slice((page - 1) * perPage, page * perPage).forEach(function (item) {
        fragment.appendChild(renderItem(item));
      });
      list.textContent = "";
      list.appendChild(fragment);
    }

    if (nav) {
      nav.addEventListener("click", function (event) {
        var button = event.target.closest("[data-page]");
        if (!button) {
          return;
        }
        var step = Number(button.getAttribute("data-page"));
        (ready || function (move) { move(); })(function () {
          page += step;
          draw();
          if (onPage) {
            onPage(page);
          }
          list.scrollIntoView({ block: "nearest" });
        });
      });
    }

    return {
      show: function (newItems, newPage, keepList) {
        items = newItems;
        count = items.length;
        page = newPage || 1;
        (keepList ? drawNav : draw)();
      },
      describe: function (total) {
        count = total;
        drawNav();
      },
      shown: function () {
        return items !== null;
      },
      page: function () {
        return page;
      }
    };
  }

  function classChip(data, root, index, count) {
    var cls = data.classes[index];
    return element("a", { class: "chip", href: root + fill(data.paths.class_page, cls[2]) }, [
      element("span", { class: "swatch", style: "--c: " + cls[1] }),
      cls[0] + " ",
      element("span", { class: "count" }, [formatInteger(count)])
    ]);
  }

  /* --- Index: every image as a card, filtered by class and sorted --- */

  function imageCard(data, root, row) {
    var href = root + fill(data.paths.page, row[1]);
    var body = [
      element("h3", {}, [element("a", { href: href }, [row[0]])]),
      element("p", { class: "meta" }, [row[2] + " \u00d7 " + row[3] + " px \u00b7 " + plural(row[4], "mask")])
    ];
    if (data.evaluated) {
      var scores = row[6];
      body.push(element("p", { class: "meta evaluation-meta" }, [
        scores ? "mIoU " + formatNumber(scores[0]) + " \u2192 " + formatNumber(scores[1]) + " (" + formatSigned(scores[2]) + ")" : "not evaluated"
      ]));
    }
    if (row[5].length) {
      body.push(
        element(
          "ul",
          { class: "chips", "aria-label": "Classes found and their masks" },
          row[5].map(function (pair) {
            return element("li", {}, [classChip(data, root, pair[0], pair[1])]);
          })
        )
      );
    } else {
      body.push(element("p", { class: "meta" }, ["No class found."]));
    }
    return element(
      "li",
      {
        class: "card",
        "data-name": row[0],
        "data-masks": String(row[4]),
        "data-classes": row[5].map(function (pair) { return pair[0]; }).join(" ")
      },
      [
        element("a", { href: href }, [
          element("img", {
            src: root + fill(data.paths.thumbnail, row[1]),
            alt: "Final segmentation of " + row[0],
            width: String(row[2]),
            height: String(row[3]),
            loading: "lazy"
          })
        ]),
        element("div", { class: "body" }, body)
      ]
    );
  }

  /*
   * The classes a typed text names, from the <datalist> of class names: the class of that exact
   * name, else every class whose name contains the text (both case-insensitive); null for an empty
   * text (no filter). Returns indices into SITEGEN_GALLERY.classes.
   */
  function classMatcher(datalist) {
    var names = toArray(datalist.options).map(function (option) {
      return { name: option.value.toLowerCase(), index: Number(option.getAttribute("data-index")) };
    });
    return function (text) {
      var wanted = text.trim().toLowerCase();
      if (wanted === "") {
        return null;
      }
      var exact = names.filter(function (cls) {
        return cls.name === wanted;
      });
      return (exact.length ? exact : names.filter(function (cls) {
        return cls.name.indexOf(wanted) >= 0;
      })).map(function (cls) {
        return cls.index;
      });
    };
  }

  /* --- Variants (--config): the same images as another variant made them --- */

  /*
   * Variant k's rows in the base's row format ([name, slug, width, height, masks, classes, scores]),
   * so the cards, the class filter and the sort orders work on any variant unchanged. A variant's
   * row is [masks, classes] (then scores with ground truth, then [width, height] where its size
   * differs); its slug is the base's plus the variant's suffix unless listed. An image with no
   * page in that variant (it failed there) is left out.
   */
  function variantRows(data, k) {
    var variant = data.variants ? data.variants[k] : null;
    if (!variant || !variant.images) {
      return data.images;
    }
    var rows = [];
    data.images.forEach(function (base, position) {
      var own = variant.images[position];
      if (!own) {
        return;
      }
      var size = own[data.evaluated ? 3 : 2] || [base[2], base[3]];
      var row = [base[0], variant.slugs[position] || base[1] + variant.suffix, size[0], size[1], own[0], own[1]];
      if (data.evaluated) {
        row.push(own[2]);
      }
      rows.push(row);
    });
    return rows;
  }

  /*
   * The index's sort orders of `images`, each made the first time it is asked for. The name order
   * is the rows' own (the site's order: by file name, as the build sorts the images and as the
   * image pages' previous/next links go), so the first page needs no sort; the others sort it
   * again (a stable sort: ties stay by name). order(key) returns the rows in that order.
   */
  function sortOrders(images, evaluated) {
    function byScore(index, direction) {
      return images.slice().sort(function (a, b) {
        var x = a[6] ? a[6][index] : null;
        var y = b[6] ? b[6][index] : null;
        if (x === null || y === null) {
          return (x === null) - (y === null); /* images without the number go last */
        }
        return direction * (x - y);
      });
    }
    var makers = {
      name: function () {
        return images;
      },
      masks: function () {
        return images.slice().sort(function (a, b) {
          return b[4] - a[4];
        });
      }
    };
    if (evaluated) {
      makers.miou = function () {
        return byScore(1, 1); /* final mIoU, worst first */
      };
      makers.gain = function () {
        return byScore(2, -1); /* SAM's gain, largest first */
      };
    }
    var made = {};
    return function (key) {
      key = makers[key] ? key : "name";
      made[key] = made[key] || makers[key]();
      return made[key];
    };
  }

  /*
   * Loads the site's gallery data (the script `src`, which sets window.SITEGEN_GALLERY) once, by
   * adding a <script> element (a plain script, so it works from file://), and calls
   * callback(data) when it is there, or failed() if it cannot load.
   */
  function withGalleryData(src, callback, failed) {
    if (window.SITEGEN_GALLERY) {
      callback(window.SITEGEN_GALLERY);
      return;
    }
    var script = document.querySelector("script[data-gallery-data]");
    if (!script) {
      script = element("script", { src: src, "data-gallery-data": "" });
      document.head.appendChild(script);
    }
    script.addEventListener("load", function () {
      callback(window.SITEGEN_GALLERY);
    });
    script.addEventListener("error", failed);
  }

  /*
   * The index: the HTML's first page of cards (the base variant's first images in name order)
   * stays as written, so the first render parses no data and sorts nothing. The data (gallery.js,
   * a row per image) loads when the reader first pages, sorts, filters or switches variant, or
   * when the URL's #hash asks for another state; then every page of the list is drawn from it.
   */
  function setUpIndex(gallery) {
    var filter = document.getElementById("class-filter");
    var order = document.getElementById("sort-order");
    var choice = document.getElementById("variant-choice"); /* only with several variants */
    var status = document.getElementById("gallery-status");
    var root = gallery.getAttribute("data-root") || "";
    var matching = classMatcher(document.getElementById("class-names"));
    var total = Number(gallery.getAttribute("data-total")); /* the base's images, until the data is there */
    var data = null;
    var images = null;
    var orders = null;
    var pager = Pager(
      gallery,
      document.getElementById("gallery-pager"),
      Number(gallery.getAttribute("data-per-page")) || 48,
      function (row) {
        return imageCard(data, root, row);
      },
      save,
      function (move) {
        withData(function () {
          if (!pager.shown()) {
            update(1, true); /* the list holds page 1 as written */
          }
          move();
        });
      }
    );

    /* Runs callback once the data is there; the list is aria-busy while it loads. */
    function withData(callback) {
      if (data) {
        callback();
        return;
      }
      gallery.setAttribute("aria-busy", "true");
      withGalleryData(gallery.getAttribute("data-gallery"), function (loaded) {
        if (!data) {
          data = loaded;
          chooseVariant();
        }
        callback();
        gallery.removeAttribute("aria-busy");
      }, function () {
        gallery.removeAttribute("aria-busy");
        status.textContent = "The list of every image (" + gallery.getAttribute("data-gallery") + ") did not load: the first page is shown.";
      });
    }

    function save(page) {
      writeHash({
        variant: choice && choice.selectedIndex > 0 ? choice.value : "",
        class: filter.value,
        sort: order.value === "name" ? "" : order.value,
        page: page > 1 ? page : ""
      });
    }

    /* The rows of the variant chosen (the base without a switch) and their sort orders. */
    function chooseVariant() {
      images = variantRows(data, choice ? choice.selectedIndex : 0);
      orders = sortOrders(images, data.evaluated);
      total = images.length;
    }

    function showStatus(shown, wanted) {
      status.textContent = "Showing " + formatInteger(shown) + " of " + formatInteger(total) + " images" +
        (wanted === null ? "" : " (" + formatInteger(wanted.length) + " matching class" + (wanted.length === 1 ? ")" : "es)"));
    }

    function update(page, keepList) {
      var wanted = matching(filter.value);
      var sorted = orders(order.value);
      var shown = wanted === null ? sorted : sorted.filter(function (row) {
        return row[5].some(function (pair) {
          return wanted.indexOf(pair[0]) >= 0;
        });
      });
      pager.show(shown, page, keepList);
      showStatus(shown.length, wanted);
    }

    function changed() {
      withData(function () {
        update(1);
        save(1);
      });
    }

    var state = readHash();
    if (choice && state.variant !== undefined) {
      toArray(choice.options).forEach(function (option) {
        if (option.value === state.variant) {
          choice.value = state.variant;
        }
      });
    }
    if (state["class"] !== undefined) {
      filter.value = state["class"];
    }
    if (state.sort && order.querySelector("option[value='" + state.sort + "']")) {
      order.value = state.sort;
    }
    filter.addEventListener("input", changed);
    order.addEventListener("change", changed);
    if (choice) {
      /* The reader compares: the page stays (in name order, the same images in the other variant). */
      choice.addEventListener("change", function () {
        withData(function () {
          var page = pager.page();
          chooseVariant();
          update(page);
          save(pager.page());
        });
      });
    }
    document.getElementById("gallery-controls").hidden = false;
    var more = document.getElementById("gallery-more");
    if (more) {
      more.hidden = true;
    }
    var firstPage = filter.value === "" && order.value === "name" && !(Number(state.page) > 1) && !(choice && choice.selectedIndex > 0);
    if (firstPage) {
      pager.describe(total); /* the first page, as written */
      showStatus(total, null);
    } else {
      withData(function () {
        update(Number(state.page) || 1);
      });
    }
  }

  /* --- Class pages: where the class was found, its numbers per image, where it was not --- */

  function classCard(data, root, classIndex, row) {
    var image = data.images[row[0]];
    var name = data.classes[classIndex][0];
    function picture(kind, attributes) {
      return element("img", Object.assign({
        src: root + fill(data.paths[kind], image[1], classIndex),
        width: String(image[2]),
        height: String(image[3]),
        loading: "lazy"
      }, attributes));
    }
    return element("li", { class: "card" }, [
      element("div", { class: "pair" }, [
        element("figure", {}, [
          picture("confidence", { alt: "Confidence map of " + name + " in " + image[0] }),
          element("figcaption", {}, ["Confidence"])
        ]),
        /* The mask is a transparent layer over the image's one photo thumbnail. */
        element("figure", {}, [
          element("span", { class: "stack" }, [
            picture("photo", { alt: "Final mask of " + name + " in " + image[0] }),
            picture("mask", { class: "mask", alt: "" })
          ]),
          element("figcaption", {}, ["Final mask"])
        ])
      ]),
      element("div", { class: "body" }, [
        element("h3", {}, [element("a", { href: root + fill(data.paths.page, image[1]) }, [image[0]])]),
        element("p", { class: "meta" }, [plural(row[1], "region") + " \u00b7 " + plural(row[2], "prompt") + " \u00b7 " + plural(row[3], "mask")])
      ])
    ]);
  }

  function tableRow(data, root, row) {
    var image = data.images[row[0]];
    var header = element("th", { scope: "row" }, [element("a", { href: root + fill(data.paths.page, image[1]) }, [image[0]])]);
    if (!row[3]) {
      header.appendChild(document.createTextNode(" "));
      header.appendChild(element("span", { class: "count" }, ["(not found)"]));
    }
    var cells = [header].concat(
      row.slice(1).map(function (value) {
        return element("td", { class: "num" }, [formatNumber(value)]);
      })
    );
    return element("tr", row[3] ? {} : { class: "missing" }, cells);
  }

  /* One image's funnel row, and the sentence naming the stage that lost the class when it was missed. */
  function funnelRows(row) {
    var fragment = document.createDocumentFragment();
    var cells = [element("th", { scope: "row" }, [element("a", { href: row.href }, [row.name])])].concat(
      row.counts.map(function (count) {
        return element("td", { class: "num" }, [formatInteger(count)]);
      })
    );
    fragment.appendChild(element("tr", row.miss ? { class: "missing" } : {}, cells));
    if (row.miss) {
      fragment.appendChild(element("tr", { class: "miss" }, [
        element("td", { colspan: String(row.counts.length + 1) }, [
          row.miss + " ",
          element("a", { href: row.miss_href }, ["Step " + row.miss_step + " of " + row.name])
        ])
      ]));
    }
    return fragment;
  }

  /* Every funnel table of the page (a class page, or classes.html with one per folded class): its
     rows in the JSON named by data-rows, its pager by data-pager, its no-script note by data-more. */
  function setUpFunnelTables() {
    toArray(document.querySelectorAll("tbody.funnel-rows")).forEach(function (body) {
      var rows = JSON.parse(document.getElementById(body.getAttribute("data-rows")).textContent);
      Pager(body, document.getElementById(body.getAttribute("data-pager")), Number(body.getAttribute("data-per-page")) || 100, funnelRows).show(rows);
      document.getElementById(body.getAttribute("data-more")).hidden = true;
    });
  }

  function setUpClassPage(source, data) {
    var rows = JSON.parse(source.textContent);
    var root = source.getAttribute("data-root") || "";
    var found = document.getElementById("found-images");
    if (found) {
      Pager(found, document.getElementById("found-pager"), Number(found.getAttribute("data-per-page")) || 48, function (row) {
        return classCard(data, root, rows["class"], row);
      }).show(rows.found);
    }
    var table = document.getElementById("class-table");
    Pager(table, document.getElementById("table-pager"), Number(table.getAttribute("data-per-page")) || 100, function (row) {
      return tableRow(data, root, row);
    }).show(rows.found.concat(rows.missing));
    var missing = document.getElementById("missing-images");
    if (missing) {
      Pager(missing, document.getElementById("missing-pager"), Number(missing.getAttribute("data-per-page")) || 100, function (row) {
        var image = data.images[row[0]];
        return element("li", {}, [element("a", { href: root + fill(data.paths.page, image[1]) }, [image[0]])]);
      }).show(rows.missing);
    }
    toArray(document.querySelectorAll(".list-more")).forEach(function (note) {
      note.hidden = true;
    });
  }

  function toArray(list) {
    return Array.prototype.slice.call(list);
  }

  function start() {
    setUpFunnelTables(); /* their rows are in the page: no gallery data needed */
    var gallery = document.getElementById("gallery");
    if (gallery) {
      setUpIndex(gallery); /* loads the gallery data when the reader needs more than the first page */
    }
    var classImages = document.getElementById("class-images");
    if (classImages && window.SITEGEN_GALLERY) {
      setUpClassPage(classImages, window.SITEGEN_GALLERY);
    } /* without the data, the first page of each list, as written in the HTML, stays */
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
