"""A minimal StatusNotifierWatcher: the part of a desktop panel (KDE, GNOME's AppIndicator
extension, XFCE, Cinnamon) that tray icons register with, per the StatusNotifierItem spec
(freedesktop.org, kde.org/statusnotifieritem). It owns `org.kde.StatusNotifierWatcher`, says a
host is registered, and prints `item <service>` for every icon that registers, so the desktop
smoke test can run the app with "a tray" and see the icon arrive. It draws nothing."""

import asyncio

from dbus_next import PropertyAccess
from dbus_next.aio import MessageBus
from dbus_next.service import ServiceInterface, dbus_property, method, signal


class Watcher(ServiceInterface):
    def __init__(self):
        super().__init__("org.kde.StatusNotifierWatcher")
        self.items = []

    @method()
    def RegisterStatusNotifierItem(self, service: "s"):  # noqa: F821 (D-Bus signature)
        self.items.append(service)
        print(f"item {service}", flush=True)
        self.StatusNotifierItemRegistered(service)

    @method()
    def RegisterStatusNotifierHost(self, service: "s"):  # noqa: F821
        pass

    @dbus_property(access=PropertyAccess.READ)
    def RegisteredStatusNotifierItems(self) -> "as":  # noqa: F821
        return self.items

    @dbus_property(access=PropertyAccess.READ)
    def IsStatusNotifierHostRegistered(self) -> "b":  # noqa: F821
        return True

    @dbus_property(access=PropertyAccess.READ)
    def ProtocolVersion(self) -> "i":  # noqa: F821
        return 0

    @signal()
    def StatusNotifierItemRegistered(self, service) -> "s":  # noqa: F821
        return service

    @signal()
    def StatusNotifierHostRegistered(self):
        pass


async def main():
    bus = await MessageBus().connect()
    bus.export("/StatusNotifierWatcher", Watcher())
    await bus.request_name("org.kde.StatusNotifierWatcher")
    print("ready", flush=True)
    await asyncio.get_running_loop().create_future()


asyncio.run(main())
