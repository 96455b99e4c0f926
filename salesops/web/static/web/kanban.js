/* The kanban board (pipeline:kanban), with SortableJS (vendor/sortablejs).
 *
 * Every column's card list ([data-kanban-cards], data-stage = the stage id) is a drop
 * target; a card ([data-kanban-card][data-movable]) dropped on another column does not
 * move there by itself: the card goes back where it was and the browser opens the card's
 * move page (data-move-url) for the target stage, where the user picks evidence, a reason
 * or cancels. So a cancelled move (or the Back button) leaves the board as it was.
 *
 * SortableJS's fallback mode (pointer events, not HTML5 drag and drop) works the same with
 * a mouse, a pen and a finger; on touch a short press starts the drag so that swiping
 * still scrolls the board. The Move button on every card does the same without dragging.
 */
(function () {
  "use strict";

  function openMove(card, stageId) {
    const url = new URL(card.dataset.moveUrl, window.location.href);
    url.searchParams.set("to", stageId);
    window.location.assign(url.toString());
  }

  function init() {
    const board = document.querySelector("[data-kanban]");
    if (!board || typeof window.Sortable === "undefined") return;
    board.querySelectorAll("[data-kanban-cards]").forEach(function (list) {
      window.Sortable.create(list, {
        group: "kanban",
        sort: false,
        draggable: "[data-kanban-card][data-movable]",
        filter: ".kanban-move-btn",
        preventOnFilter: false,
        forceFallback: true,
        fallbackTolerance: 4,
        delay: 120,
        delayOnTouchOnly: true,
        animation: 120,
        ghostClass: "kanban-ghost",
        chosenClass: "kanban-chosen",
        onMove: function (event) {
          board.querySelectorAll(".kanban-over").forEach(function (el) { el.classList.remove("kanban-over"); });
          event.to.classList.add("kanban-over");
          return true;
        },
        onEnd: function (event) {
          board.querySelectorAll(".kanban-over").forEach(function (el) { el.classList.remove("kanban-over"); });
          const from = event.from;
          const to = event.to;
          if (from === to) return;
          const card = event.item;
          from.insertBefore(card, from.children[event.oldIndex] || null);
          openMove(card, to.dataset.stage);
        },
      });
    });
    board.dataset.kanbanReady = "1";
  }

  document.addEventListener("DOMContentLoaded", init);
  // Coming back (Back button) from the move page: show the board as it is now.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });
})();
