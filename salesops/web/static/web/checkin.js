/* The check-in form's call timer (Alpine component "checkin"; CSP build, so the logic
 * lives here rather than in the markup). Stopping fills the minutes/seconds inputs and
 * marks the duration as measured by the timer; typing in them marks it as typed (A3). */
document.addEventListener("alpine:init", function () {
  "use strict";
  window.Alpine.data("checkin", function () {
    const noteInput = document.getElementById("id_note");
    return {
      note: noteInput ? noteInput.value : "",
      running: false,
      began: 0,
      elapsed: 0,
      handle: null,
      get clock() {
        const s = Math.floor(this.elapsed / 1000);
        return String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
      },
      toggle() {
        if (this.running) this.stop();
        else this.start();
      },
      start() {
        this.began = Date.now();
        this.elapsed = 0;
        this.running = true;
        this.handle = setInterval(() => { this.elapsed = Date.now() - this.began; }, 250);
      },
      stop() {
        if (!this.running) return;
        clearInterval(this.handle);
        this.running = false;
        const s = Math.round((Date.now() - this.began) / 1000);
        this.$refs.minutes.value = Math.floor(s / 60);
        this.$refs.seconds.value = s % 60;
        this.$refs.source.value = "timer";
      },
      typed() {
        this.$refs.source.value = "typed";
      },
    };
  });
});
