// "By place" / "By project" pages: find an entity by name. Works without this script too.
(function () {
  'use strict';
  var input = document.getElementById('entity-filter');
  var shown = document.getElementById('entity-shown');
  var sections = Array.prototype.slice.call(document.querySelectorAll('section.entity'));
  var items = Array.prototype.slice.call(document.querySelectorAll('nav.toc li[data-name]'));
  function apply() {
    var needle = (input.value || '').trim().toLowerCase();
    var count = 0;
    sections.forEach(function (s) {
      var hit = !needle || s.getAttribute('data-name').indexOf(needle) >= 0;
      s.classList.toggle('hidden', !hit);
      if (hit) { count += 1; }
    });
    items.forEach(function (li) {
      li.classList.toggle('hidden', needle !== '' && li.getAttribute('data-name').indexOf(needle) < 0);
    });
    shown.textContent = needle ? count + ' of ' + sections.length + ' shown' : '';
  }
  if (input) { input.addEventListener('input', apply); }
  document.body.setAttribute('data-ready', '1');
}());
