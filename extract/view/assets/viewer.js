// Fact-sheet viewer and eval report behaviour. Everything shown from the data goes through
// textContent, never innerHTML: the data holds article text and model output.
(function () {
  'use strict';
  var dataEl = document.getElementById('factsheet-data');
  var data = dataEl ? JSON.parse(dataEl.textContent) : {};
  var facts = data.facts || {};
  var typeLabels = data.types || {};
  var tip = document.getElementById('tip');
  var pinned = null;
  var FLASH_MS = 1600;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function marksOf(id) {
    return document.querySelectorAll('mark[data-facts~="' + CSS.escape(id) + '"]');
  }

  function itemsOf(id) {
    return document.querySelectorAll('.fact-item[data-fact="' + CSS.escape(id) + '"]');
  }

  function flash(nodes) {
    nodes.forEach(function (node) {
      node.classList.remove('flash');
      void node.offsetWidth; // restart the animation when flashed again
      node.classList.add('flash');
    });
    window.setTimeout(function () {
      nodes.forEach(function (node) { node.classList.remove('flash'); });
    }, FLASH_MS);
  }

  function setActive(id) {
    document.querySelectorAll('.fact-item.active').forEach(function (n) { n.classList.remove('active'); });
    itemsOf(id).forEach(function (n) { n.classList.add('active'); });
  }

  // Scroll the fact's first span to the middle of the screen and flash all of its spans.
  function jump(id) {
    var marks = Array.prototype.slice.call(marksOf(id));
    setActive(id);
    hideTip(true);
    if (marks.length) {
      marks[0].scrollIntoView({ block: 'center', inline: 'nearest' });
      flash(marks);
    } else {
      var items = Array.prototype.slice.call(itemsOf(id));
      if (items.length) {
        items[0].scrollIntoView({ block: 'center' });
        flash(items);
      }
    }
    document.body.setAttribute('data-last-jump', id);
  }

  function card(id) {
    var fact = facts[id];
    var box = el('div', 'card c-' + (fact ? fact.cls : ''));
    if (!fact) {
      box.appendChild(el('div', null, id));
      return box;
    }
    var head = el('div');
    head.appendChild(el('span', 'kind', typeLabels[fact.type] || fact.type));
    if (fact.badge) head.appendChild(el('span', 'badge b-' + fact.cls, fact.badge));
    if (fact.article) head.appendChild(el('span', 'meta', ' ' + fact.article));
    box.appendChild(head);
    box.appendChild(el('div', 'label', fact.label));
    var dl = el('dl');
    (fact.fields || []).forEach(function (pair) {
      dl.appendChild(el('dt', null, pair[0]));
      dl.appendChild(el('dd', null, pair[1]));
    });
    box.appendChild(dl);
    (fact.detail || []).forEach(function (line) { box.appendChild(el('div', 'detail', line)); });
    return box;
  }

  function showTip(mark, x, y) {
    var ids = (mark.getAttribute('data-facts') || '').split(' ').filter(Boolean);
    tip.replaceChildren.apply(tip, ids.map(card));
    tip.hidden = false;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var left = Math.min(x + 12, window.innerWidth - w - 8);
    // Below the pointer if it fits, else above, else as low as the window allows.
    var top = y + 16;
    if (top + h > window.innerHeight - 8) {
      top = y - h - 12;
      if (top < 8) top = window.innerHeight - h - 8;
    }
    tip.style.left = Math.max(8, left) + 'px';
    tip.style.top = Math.max(8, top) + 'px';
  }

  function hideTip(force) {
    if (pinned && !force) return;
    if (pinned) pinned.classList.remove('pinned');
    pinned = null;
    tip.hidden = true;
  }

  document.addEventListener('mouseover', function (ev) {
    var mark = ev.target.closest && ev.target.closest('mark.hl[data-facts]');
    if (mark && !pinned) showTip(mark, ev.clientX, ev.clientY);
  });
  document.addEventListener('mouseout', function (ev) {
    var mark = ev.target.closest && ev.target.closest('mark.hl[data-facts]');
    if (mark && !pinned && !(ev.relatedTarget && mark.contains(ev.relatedTarget))) hideTip(false);
  });

  document.addEventListener('click', function (ev) {
    var target = ev.target;
    var link = target.closest('a.jump[data-fact]');
    if (link) {
      ev.preventDefault();
      jump(link.getAttribute('data-fact'));
      return;
    }
    var item = target.closest('.fact-item[data-fact]');
    if (item) {
      jump(item.getAttribute('data-fact'));
      return;
    }
    var mark = target.closest('mark.hl[data-facts]');
    if (mark) {
      hideTip(true);
      pinned = mark;
      mark.classList.add('pinned');
      showTip(mark, ev.clientX, ev.clientY);
      var ids = mark.getAttribute('data-facts').split(' ');
      setActive(ids[0]);
      ids.slice(1).forEach(function (id) { itemsOf(id).forEach(function (n) { n.classList.add('active'); }); });
      var first = itemsOf(ids[0])[0];
      var pane = first && first.closest('.side-inner, .eval-facts');
      if (pane) {
        var offset = first.getBoundingClientRect().top - pane.getBoundingClientRect().top;
        if (offset < 0 || offset > pane.clientHeight - 20) pane.scrollTop += offset - pane.clientHeight / 3;
      }
      return;
    }
    if (!target.closest('#tip')) hideTip(true);
  });

  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape') hideTip(true);
    var item = ev.target.closest && ev.target.closest('.fact-item[data-fact]');
    if (item && (ev.key === 'Enter' || ev.key === ' ')) {
      ev.preventDefault();
      jump(item.getAttribute('data-fact'));
    }
  });
  window.addEventListener('scroll', function () { if (!pinned) hideTip(false); }, { passive: true });

  // Sortable, filterable tables.
  function sortTable(table, col, th) {
    var body = table.tBodies[0];
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    table.querySelectorAll('th').forEach(function (h) { h.setAttribute('aria-sort', 'none'); });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return !r.classList.contains('empty-row'); });
    rows.sort(function (a, b) {
      var ca = a.cells[col], cb = b.cells[col];
      var ka = ca.getAttribute('data-sort'), kb = cb.getAttribute('data-sort');
      if (ca.getAttribute('data-kind') === 'num') {
        return dir * (parseFloat(ka) - parseFloat(kb));
      }
      return dir * ka.localeCompare(kb, undefined, { numeric: true });
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  document.querySelectorAll('table.sortable').forEach(function (table) {
    table.querySelectorAll('th[data-col]').forEach(function (th) {
      var col = parseInt(th.getAttribute('data-col'), 10);
      th.addEventListener('click', function () { sortTable(table, col, th); });
      th.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter') sortTable(table, col, th);
      });
    });
  });

  function applyFilters(box) {
    var table = document.getElementById(box.getAttribute('data-table'));
    if (!table) return;
    var query = (box.querySelector('input').value || '').toLowerCase();
    var selects = Array.prototype.slice.call(box.querySelectorAll('select'));
    var shown = 0, total = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      if (row.classList.contains('empty-row')) return;
      total += 1;
      var ok = !query || row.textContent.toLowerCase().indexOf(query) >= 0;
      selects.forEach(function (sel) {
        var col = parseInt(sel.getAttribute('data-col'), 10);
        if (ok && sel.value && row.cells[col].textContent !== sel.value) ok = false;
      });
      row.classList.toggle('hidden', !ok);
      if (ok) shown += 1;
    });
    var label = box.querySelector('.shown');
    if (label) label.textContent = shown === total ? total + ' rows' : shown + ' of ' + total + ' rows';
  }

  document.querySelectorAll('.filters[data-table]').forEach(function (box) {
    box.addEventListener('input', function () { applyFilters(box); });
    box.addEventListener('change', function () { applyFilters(box); });
    applyFilters(box);
  });

  // The sticky side lists sit just below the sticky header, whatever its height.
  function measureHeader() {
    var header = document.querySelector('header.top');
    if (header) document.documentElement.style.setProperty('--header-h', header.offsetHeight + 'px');
  }
  measureHeader();
  window.addEventListener('resize', measureHeader);

  document.body.setAttribute('data-ready', '1');
})();
