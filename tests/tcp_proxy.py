"""A TCP proxy the tests can cut and restore: the database going away, as far as the bot can tell.

Cutting closes every connection through it and stops listening, so new connections are
refused, as when the database host restarts; going silent takes connections and never
answers, as when a network drops packets; restoring forwards again on the same port.
"""

from __future__ import annotations

import socket
import threading


class Proxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.listener: socket.socket | None = None
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.silent = False  # accept connections but never answer: a host that drops packets

    def start(self) -> int:
        """Listen (again) and forward; returns the port."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self.accept, args=(listener,), daemon=True).start()
        return self.port

    def accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            if self.silent:
                with self.lock:
                    self.open.add(client)
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(source, sink), daemon=True).start()

    def pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                self.close(end)

    def close(self, end: socket.socket) -> None:
        with self.lock:
            self.open.discard(end)
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        end.close()

    def cut(self) -> None:
        if self.listener is not None:
            self.close(self.listener)  # shutting down wakes the thread blocked in accept()
            self.listener = None
        with self.lock:
            ends = list(self.open)
        for end in ends:
            self.close(end)

    def go_silent(self) -> None:
        """Drop every connection, then take new ones and say nothing on them."""
        self.silent = True
        with self.lock:
            ends = [end for end in self.open]
        for end in ends:
            self.close(end)

    def restore(self) -> None:
        self.silent = False
        if self.listener is None:
            self.start()
