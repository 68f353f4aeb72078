"""The live view: frames built on the server (`frames`, `feeds`), served over the app's own
route (`channel`), drawn in place in the browser by one component (`component`)."""
