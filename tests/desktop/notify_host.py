"""A minimal notification server: the `org.freedesktop.Notifications` service that a desktop's
notification daemon (GNOME Shell, KDE Plasma, dunst, xfce4-notifyd) provides, per the Desktop
Notifications Specification (specifications.freedesktop.org/notification-spec). It owns the
name on the session bus, accepts every `Notify` call and prints it as one JSON line
(`{"app": ..., "summary": ..., "body": ...}`), so the desktop smoke test can see what the app
announced. It shows nothing."""

import asyncio
import json

from dbus_next.aio import MessageBus
from dbus_next.service import ServiceInterface, method, signal


class Notifications(ServiceInterface):
    def __init__(self):
        super().__init__("org.freedesktop.Notifications")
        self.next_id = 0

    @method()
    def Notify(  # noqa: N802 (D-Bus names)
        self,
        app_name: "s",  # noqa: F821 (D-Bus signatures)
        replaces_id: "u",  # noqa: F821
        app_icon: "s",  # noqa: F821
        summary: "s",  # noqa: F821
        body: "s",  # noqa: F821
        actions: "as",  # noqa: F821
        hints: "a{sv}",  # noqa: F821
        expire_timeout: "i",  # noqa: F821
    ) -> "u":  # noqa: F821
        self.next_id += 1
        print(json.dumps({"app": app_name, "summary": summary, "body": body}), flush=True)
        return self.next_id

    @method()
    def GetCapabilities(self) -> "as":  # noqa: F821,N802
        return ["body"]

    @method()
    def GetServerInformation(self) -> "ssss":  # noqa: F821,N802
        return ["kiro-gateway-smoke", "kiro-gateway", "1.0", "1.2"]

    @method()
    def CloseNotification(self, id: "u"):  # noqa: F821,N802,A002
        self.NotificationClosed(id, 3)

    @signal()
    def NotificationClosed(self, id, reason) -> "uu":  # noqa: F821,N802,A002
        return [id, reason]

    @signal()
    def ActionInvoked(self, id, action_key) -> "us":  # noqa: F821,N802,A002
        return [id, action_key]


async def main():
    bus = await MessageBus().connect()
    bus.export("/org/freedesktop/Notifications", Notifications())
    await bus.request_name("org.freedesktop.Notifications")
    print("ready", flush=True)
    await asyncio.get_running_loop().create_future()


asyncio.run(main())
