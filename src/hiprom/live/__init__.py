"""The live stage: one subject measured frame by frame, free of any web framework.

The data path of one live frame reads in one direction::

    source (feeds) -> pose -> LiveMeter -> guide -> messages -> hub

- :mod:`hiprom.live.feeds`: camera, video or recording read as if live.
- :mod:`hiprom.live.slot`: where those frames wait for the worker: fresh ones only, none lost in a hiccup.
- :mod:`hiprom.live.processor`: pose -> ``LiveMeter`` -> guide for one subject; the finished test's analysis.
- :mod:`hiprom.live.recorder`: the guided test's frames and the trials closed in them.
- :mod:`hiprom.live.guide`: the guided self-test's state machine; its set-up checklist
  (:mod:`hiprom.live.placement`) and what it keeps of each step (:mod:`hiprom.live.steps`).
- :mod:`hiprom.live.messages`: the one builder of the messages the pages receive.
- :mod:`hiprom.live.hub`: fan-out of messages to any number of clients.
- :mod:`hiprom.live.engine`: the server's own source: feed, worker thread, hub.

``hiprom.server`` only adds HTTP and WebSocket routes on top.
"""
