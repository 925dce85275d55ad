"""The fan-out hub: slow clients lose old messages, never hold up the others."""

from __future__ import annotations

import asyncio
import threading

from hiprom.live.hub import Hub


def test_a_slow_client_keeps_only_the_newest_and_a_fast_one_gets_everything():
    async def main():
        hub: Hub[int] = Hub(asyncio.get_running_loop(), maxsize=3, keep_last=False)
        slow, fast = hub.subscribe(), hub.subscribe()
        got: list[int] = []

        async def read_fast():
            async for item in fast:
                got.append(item)

        reader = asyncio.create_task(read_fast())
        for i in range(100):
            hub.publish(i)
            await asyncio.sleep(0)
        kept = [await slow.get() for _ in range(3)]
        assert kept == [97, 98, 99] and slow.dropped == 97
        hub.close()
        await asyncio.wait_for(reader, 2.0)
        assert got == list(range(100))
        assert await slow.get() is None  # closed

    asyncio.run(main())


def test_publishing_from_another_thread_and_late_subscribers_get_the_last_message():
    async def main():
        hub: Hub[str] = Hub(asyncio.get_running_loop(), maxsize=8)
        sub = hub.subscribe()
        thread = threading.Thread(target=lambda: [hub.publish(f"m{i}") for i in range(5)])
        thread.start()
        thread.join()
        got = [await asyncio.wait_for(sub.get(), 2.0) for _ in range(5)]
        assert got == [f"m{i}" for i in range(5)]
        late = hub.subscribe()
        assert await asyncio.wait_for(late.get(), 2.0) == "m4"
        sub.close()
        late.close()
        assert hub.n_clients == 0

    asyncio.run(main())
