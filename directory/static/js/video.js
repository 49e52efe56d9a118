// The intro video: a local poster until the visitor presses play; only then is the player
// (YouTube's no-cookie domain, Vimeo with do-not-track, or the video file) put in the page.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var poster = event.target.closest && event.target.closest(".video-poster[data-embed]");
    if (!poster) return;
    event.preventDefault();
    var player;
    if (poster.getAttribute("data-kind") === "file") {
      player = document.createElement("video");
      player.controls = true;
      player.autoplay = true;
      player.preload = "metadata";
    } else {
      player = document.createElement("iframe");
      player.allow = "autoplay; fullscreen; picture-in-picture; encrypted-media";
      player.allowFullscreen = true;
      player.referrerPolicy = "strict-origin-when-cross-origin";
    }
    player.src = poster.getAttribute("data-embed");
    player.title = poster.getAttribute("data-title") || "Intro video";
    player.className = "video-player";
    poster.replaceWith(player);
    player.focus();
  });
})();
