"""Brokers of a test's own (Redis, Mosquitto) that it may stop and start on the same port: restarts mid-stream
must not disturb the shared brokers other tests use."""
from __future__ import annotations

import asyncio
import getpass
import signal
from pathlib import Path

from tests.net import free_port


class PrivateBroker:
    """A broker of this test's own, with persistence on, that the test can stop and start on the same port.
    Redis gets SIGKILL (a crash; its append-only file is fsynced on every write, as a durable setup would have it).
    Mosquitto gets SIGTERM (a restart): it writes its persistence file on shutdown or autosave only, so a crashed
    mosquitto loses QoS 1 messages it had acknowledged, whatever the client does."""

    def __init__(self, kind: str, directory: Path) -> None:
        self.kind, self.port = kind, free_port()
        if kind == "redis":
            self.url = f"redis://127.0.0.1:{self.port}/0"
            self.argv = ["/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                         "--appendonly", "yes", "--appendfsync", "always", "--dir", str(directory)]
            self.stop_signal = signal.SIGKILL
        else:
            self.url = f"mqtt://127.0.0.1:{self.port}"
            config = directory / "mosquitto.conf"
            config.write_text(  # run as us: started as root, mosquitto would drop to a user who cannot write here
                f"user {getpass.getuser()}\nlistener {self.port} 127.0.0.1\nallow_anonymous true\n"
                f"persistence true\npersistence_location {directory}/\nmax_queued_messages 100000\n")
            self.argv = ["/usr/sbin/mosquitto", "-c", str(config)]
            self.stop_signal = signal.SIGTERM
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(*self.argv, stdout=asyncio.subprocess.DEVNULL,
                                                            stderr=asyncio.subprocess.DEVNULL)
        async with asyncio.timeout(5):
            while True:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                except OSError:
                    await asyncio.sleep(0.02)
                    continue
                writer.close()
                return

    async def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(self.stop_signal)
        await self.process.wait()
